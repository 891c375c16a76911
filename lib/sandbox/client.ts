import { HttpError } from "@/lib/http/errors";
import { currentRequestId, newRequestId, REQUEST_ID_HEADER } from "@/lib/log";
import { APP_TICKET_HEADER, issueTicket, signRequest, TICKET_TTL_SECONDS } from "../../sandbox-runner/src/auth/signing";
import type {
  AppLogChunk,
  AppStartRequest,
  AppStatus,
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
 * Typed client for the sandbox-runner (its API: sandbox-runner/README.md). Every request is signed
 * with the shared RUNNER_SECRET by the same module the runner verifies with, and carries the id of
 * the request it is made for (`x-request-id`, lib/log.ts; a new one outside any request), which the
 * runner's log lines repeat.
 * Server-side only: the secret must never reach the browser.
 */

/** The request id a runner call carries: the current request's, or a new one. */
const requestIdHeader = () => ({ [REQUEST_ID_HEADER]: currentRequestId() ?? newRequestId() });

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

/**
 * The caller aborted the request (its `signal`): not a runner failure. The runner sees its client go
 * away and kills the request's run (its whole cgroup) at once; a session stays usable. `reason` is the
 * signal's reason, e.g. why a generation run was stopped.
 */
export class RunnerAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super("The code runner request was aborted.");
    this.name = "RunnerAbortedError";
  }
}

function passThrough(status: number): boolean {
  // 507: the session's workspace is full (its disk quota), which the user can fix by deleting files.
  return [400, 404, 409, 413, 422, 429, 507].includes(status);
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

/**
 * Per call: `signal` aborts the request (combined with the client's timeout); the call then rejects
 * with RunnerAbortedError, and the runner kills the run the request started (execute, a command).
 */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface RunnerClient {
  health(options?: CallOptions): Promise<RunnerHealth>;
  runtimes(options?: CallOptions): Promise<Runtime[]>;
  execute(request: ExecuteRequest, options?: CallOptions): Promise<ExecuteResult>;
  createSession(request: { userId: string }, options?: CallOptions): Promise<{ id: string }>;
  writeFiles(sessionId: string, files: FileInput[], deletes?: string[], options?: CallOptions): Promise<void>;
  runCommand(sessionId: string, request: CommandRequest, options?: CallOptions): Promise<RunResult>;
  /** One file's bytes from the session's workspace (e.g. a build's output); RunnerRequestError 404 when missing. */
  readFile(sessionId: string, path: string, options?: CallOptions): Promise<Uint8Array>;
  deleteSession(sessionId: string, options?: CallOptions): Promise<void>;
  /** A single-use ticket that lets `userId`'s browser open the terminal of `sessionId` for ~60 s. */
  issuePtyTicket(sessionId: string, userId: string): PtyTicket;
  /** Starts (or restarts) the session's app; resolves once it is installing or starting. */
  startApp(sessionId: string, request: AppStartRequest, options?: CallOptions): Promise<AppStatus>;
  appStatus(sessionId: string, options?: CallOptions): Promise<AppStatus>;
  appLogs(sessionId: string, since: number, options?: CallOptions): Promise<AppLogChunk>;
  stopApp(sessionId: string, options?: CallOptions): Promise<void>;
  /**
   * One HTTP request to the session's app, signed; the runner's answer (the app's, or the runner's
   * own JSON error) is returned as is, body streaming.
   */
  proxyToApp(sessionId: string, request: AppProxyRequest, options?: CallOptions): Promise<Response>;
  /** Where a WebSocket upgrade to the session's app goes, and the header that authorizes it (single use, ~60 s). */
  appUpgradeTarget(sessionId: string, userId: string, pathWithQuery: string): { url: URL; headers: Record<string, string> };
}

export interface AppProxyRequest {
  method: string;
  /** Path and query as the app should see them, starting with "/". */
  pathWithQuery: string;
  headers: Record<string, string>;
  body?: Uint8Array;
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

  async function call<T>(method: string, path: string, payload?: unknown, callOptions: CallOptions = {}): Promise<T> {
    const { signal } = callOptions;
    if (signal?.aborted) throw new RunnerAbortedError(signal.reason);
    const url = new URL(path, base);
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const headers: Record<string, string> = {
      ...signRequest({ secret: options.secret, method, pathWithQuery: url.pathname + url.search, body }),
      ...requestIdHeader(),
    };
    if (body !== undefined) headers["content-type"] = "application/json";

    const timeout = AbortSignal.timeout(timeoutMs);
    // The caller's abort closes the connection, which is what tells the runner to kill the run.
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const failed = (err: unknown): Error => {
      if (signal?.aborted) return new RunnerAbortedError(signal.reason);
      const timedOut = timeout.aborted || (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"));
      return new RunnerUnavailableError(
        "unreachable",
        timedOut
          ? `The code runner did not answer within ${Math.round(timeoutMs / 1000)} s.`
          : "The code runner is not reachable right now. Try again in a moment.",
      );
    };
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, { method, headers, body, signal: combined });
      text = await response.text();
    } catch (err) {
      throw failed(err);
    }
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
  const appHttpPath = (id: string, pathWithQuery: string) => `${session(id)}/app/http${pathWithQuery.startsWith("/") ? "" : "/"}${pathWithQuery}`;

  return {
    health: (opts) => call<RunnerHealth>("GET", "/v1/health", undefined, opts),
    runtimes: (opts) => call<Runtime[]>("GET", "/v1/runtimes", undefined, opts),
    execute: (request, opts) => call<ExecuteResult>("POST", "/v1/execute", request, opts),
    createSession: ({ userId }, opts) => call<{ id: string }>("POST", "/v1/sessions", { userId }, opts),
    writeFiles: async (sessionId, files, deletes, opts) => {
      await call("PUT", `${session(sessionId)}/files`, deletes?.length ? { files, deletes } : { files }, opts);
    },
    runCommand: (sessionId, request, opts) => call<RunResult>("POST", `${session(sessionId)}/commands`, request, opts),
    readFile: async (sessionId, path, opts) => {
      try {
        const file = await call<{ contentBase64: string }>(
          "GET",
          `${session(sessionId)}/files?path=${encodeURIComponent(path)}`,
          undefined,
          opts,
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
    deleteSession: async (sessionId, opts) => {
      await call("DELETE", session(sessionId), undefined, opts);
    },
    startApp: (sessionId, request, opts) => call<AppStatus>("PUT", `${session(sessionId)}/app`, request, opts),
    appStatus: (sessionId, opts) => call<AppStatus>("GET", `${session(sessionId)}/app`, undefined, opts),
    appLogs: (sessionId, since, opts) => call<AppLogChunk>("GET", `${session(sessionId)}/app/logs?since=${Math.max(0, Math.floor(since))}`, undefined, opts),
    stopApp: async (sessionId, opts) => {
      await call("DELETE", `${session(sessionId)}/app`, undefined, opts);
    },
    proxyToApp: async (sessionId, request, opts) => {
      const url = new URL(appHttpPath(sessionId, request.pathWithQuery), base);
      const body = request.body && request.body.length > 0 ? new Uint8Array(request.body) : undefined;
      const headers = {
        ...request.headers,
        ...signRequest({ secret: options.secret, method: request.method, pathWithQuery: url.pathname + url.search, body }),
        ...requestIdHeader(),
      };
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = opts?.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      try {
        return await doFetch(url, { method: request.method, headers, body, signal, redirect: "manual" });
      } catch (err) {
        if (opts?.signal?.aborted) throw new RunnerAbortedError(opts.signal.reason);
        throw new RunnerUnavailableError("unreachable", `The code runner is not reachable right now (${err instanceof Error ? err.message : err}).`);
      }
    },
    appUpgradeTarget(sessionId, userId, pathWithQuery) {
      const url = new URL(appHttpPath(sessionId, pathWithQuery), base);
      return { url, headers: { [APP_TICKET_HEADER]: issueTicket(options.secret, { sessionId, userId }), ...requestIdHeader() } };
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
