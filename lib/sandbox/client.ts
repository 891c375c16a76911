import { HttpError } from "@/lib/http/errors";
import { issueTicket, signRequest, TICKET_TTL_SECONDS } from "../../sandbox-runner/src/auth/signing";
import type {
  CommandRequest,
  ExecuteRequest,
  ExecuteResult,
  FileInput,
  PtyTicket,
  RunnerHealth,
  RunResult,
  Runtime,
} from "./types";

/**
 * Typed client for the sandbox-runner (DESIGN.md §5). Every request is signed
 * with the shared RUNNER_SECRET by the same module the runner verifies with.
 * Server-side only: the secret must never reach the browser.
 */

/** The runner cannot be used at all: not configured, or not answering. Route handlers answer 503. */
export class RunnerUnavailableError extends HttpError {
  constructor(
    readonly reason: "not_configured" | "unreachable",
    message: string,
  ) {
    super(503, reason === "not_configured" ? "runner_not_configured" : "runner_unavailable", message);
    this.name = "RunnerUnavailableError";
  }
}

/**
 * The runner answered with an error. Its 4xx about the request itself
 * (bad input, unknown session, too large) keep their status; anything that
 * means the app and runner disagree (401/403) or the runner failed becomes 502.
 */
export class RunnerRequestError extends HttpError {
  constructor(
    readonly runnerStatus: number,
    code: string,
    message: string,
  ) {
    super(passThrough(runnerStatus) ? runnerStatus : 502, passThrough(runnerStatus) ? code : "runner_error", message);
    this.name = "RunnerRequestError";
  }
}

function passThrough(status: number): boolean {
  return [400, 404, 409, 413, 422, 429].includes(status);
}

export interface RunnerClientOptions {
  /** Origin of the runner as the app server reaches it, e.g. http://localhost:4100 (no path prefix). */
  url: string;
  secret: string;
  /** Origin the browser uses for terminal sockets when it differs from `url`. */
  publicUrl?: string;
  /** Per-request timeout; execute and commands run up to the runner's wall limit, so keep it generous. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RunnerClient {
  health(): Promise<RunnerHealth>;
  runtimes(): Promise<Runtime[]>;
  execute(request: ExecuteRequest): Promise<ExecuteResult>;
  createSession(options: { userId: string }): Promise<{ id: string }>;
  writeFiles(sessionId: string, files: FileInput[], deletes?: string[]): Promise<void>;
  runCommand(sessionId: string, request: CommandRequest): Promise<RunResult>;
  /** One file's bytes from the session's workspace (e.g. a build's output); RunnerRequestError 404 when missing. */
  readFile(sessionId: string, path: string): Promise<Uint8Array>;
  deleteSession(sessionId: string): Promise<void>;
  /** A single-use ticket that lets `userId`'s browser open the terminal of `sessionId` for ~60 s. */
  issuePtyTicket(sessionId: string, userId: string): PtyTicket;
}

export function createRunnerClient(options: RunnerClientOptions): RunnerClient {
  if (!options.url || !options.secret) {
    throw new RunnerUnavailableError(
      "not_configured",
      "The code runner is not configured (set RUNNER_URL and RUNNER_SECRET).",
    );
  }
  const base = new URL(options.url);
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 120_000;

  async function call<T>(method: string, path: string, payload?: unknown): Promise<T> {
    const url = new URL(path, base);
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers: Record<string, string> = {
      ...signRequest({ secret: options.secret, method, pathWithQuery: url.pathname + url.search, body }),
    };
    if (body !== undefined) headers["content-type"] = "application/json";

    let response: Response;
    try {
      response = await doFetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new RunnerUnavailableError(
        "unreachable",
        timedOut
          ? `The code runner did not answer within ${Math.round(timeoutMs / 1000)} s.`
          : "The code runner is not reachable right now. Try again in a moment.",
      );
    }
    const text = await response.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // A non-JSON answer (a proxy's error page, say) is reported below by status.
    }
    if (!response.ok) {
      const err = (data ?? {}) as { error?: unknown; message?: unknown };
      throw new RunnerRequestError(
        response.status,
        typeof err.error === "string" ? err.error : "runner_error",
        typeof err.message === "string" ? err.message : `The code runner answered HTTP ${response.status}.`,
      );
    }
    return data as T;
  }

  const session = (id: string) => `/v1/sessions/${encodeURIComponent(id)}`;

  return {
    health: () => call<RunnerHealth>("GET", "/v1/health"),
    runtimes: () => call<Runtime[]>("GET", "/v1/runtimes"),
    execute: (request) => call<ExecuteResult>("POST", "/v1/execute", request),
    createSession: ({ userId }) => call<{ id: string }>("POST", "/v1/sessions", { userId }),
    writeFiles: async (sessionId, files, deletes) => {
      await call("PUT", `${session(sessionId)}/files`, deletes?.length ? { files, deletes } : { files });
    },
    runCommand: (sessionId, request) => call<RunResult>("POST", `${session(sessionId)}/commands`, request),
    readFile: async (sessionId, path) => {
      try {
        const file = await call<{ contentBase64: string }>(
          "GET",
          `${session(sessionId)}/files?path=${encodeURIComponent(path)}`,
        );
        return new Uint8Array(Buffer.from(file.contentBase64, "base64"));
      } catch (err) {
        // A runner older than this endpoint: not "file missing", a deployment mismatch.
        const outdated =
          err instanceof RunnerRequestError &&
          (err.runnerStatus === 405 || (err.runnerStatus === 404 && /^No route/.test(err.message)));
        if (outdated) {
          throw new RunnerRequestError(501, "runner_outdated", "The code runner is too old to read files back; update it.");
        }
        throw err;
      }
    },
    deleteSession: async (sessionId) => {
      await call("DELETE", session(sessionId));
    },
    issuePtyTicket(sessionId, userId) {
      const now = Math.floor(Date.now() / 1000);
      const ticket = issueTicket(options.secret, { sessionId, userId }, { now });
      const socketUrl = new URL(`${session(sessionId)}/pty`, options.publicUrl ?? base);
      socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";
      socketUrl.searchParams.set("ticket", ticket);
      return { ticket, url: socketUrl.toString(), expiresAt: (now + TICKET_TTL_SECONDS) * 1000 };
    },
  };
}
