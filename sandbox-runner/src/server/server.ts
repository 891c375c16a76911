import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { z } from "zod";
import { describeAuthFailure, RequestAuthenticator } from "../auth/request-auth";
import { APP_TICKET_HEADER } from "../auth/signing";
import { RequestError } from "../errors";
import { logger as defaultLogger, withRequestId, type Logger } from "../log";
import { isValidRequestId, REQUEST_ID_HEADER } from "../log-fields";
import type { SessionManager } from "../sessions/manager";
import { readBody } from "./body";
import { HttpError, notFound } from "./http-error";
import { proxyHttp, proxyUpgrade } from "../sessions/app-proxy";
import {
  commandArgv,
  CreateSessionSchema,
  StartAppSchema,
  describeZodError,
  RunCommandSchema,
  WriteFilesSchema,
} from "./schemas";

export interface RunnerServerOptions {
  secret: string;
  sessions: SessionManager;
  /**
   * POST /v1/execute: validates its own request (RequestError → 400) and runs it. `signal` aborts
   * when the client goes away before the response is sent; the run is then killed.
   */
  execute: (request: unknown, signal?: AbortSignal) => Promise<unknown>;
  runtimes: () => Promise<unknown>;
  /** Extra fields of GET /v1/health (the state of the package gateway). */
  health?: () => Record<string, string>;
  /** Largest request body accepted; larger ones get 413 without being read. */
  maxBodyBytes?: number;
  /** Largest client → server terminal frame. */
  maxPtyFrameBytes?: number;
  /** Default: the runner's logger (src/log.ts). */
  logger?: Logger;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

interface RouteContext {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  /** Aborted when the client goes away before the response is sent (nothing is written then). */
  signal: AbortSignal;
}

/** GET /v1/sessions/:id/files reads back one file (a build's output, say) up to this size. */
export const MAX_READ_FILE_BYTES = 8 * 1024 * 1024;

interface Route {
  /** "*": any method. */
  method: string;
  pattern: RegExp;
  /** Signed requests only, except health (for load balancers and container probes). */
  public?: boolean;
  /** A JSON body, validated with this schema (`true`: parsed here, validated by the module). Else no body. */
  schema?: z.ZodType | true;
  handle: (ctx: RouteContext) => Promise<{ status: number; body?: unknown }>;
  /** Instead of a JSON answer: writes the response itself, given the raw body (up to the body limit). */
  passThrough?: (ctx: RouteContext, req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;
}

const SESSION = "/v1/sessions/([^/]+)";
/** A session app's HTTP: everything after this prefix is the app's own path. */
const APP_HTTP = new RegExp(`^${SESSION}/app/http(?=/|$)`);

/** The path and query a request to .../app/http/<path> has for the app. */
function appPathOf(pathWithQuery: string): string {
  const rest = pathWithQuery.replace(APP_HTTP, "");
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/**
 * The runner's HTTP + WebSocket API (sandbox-runner/README.md, "API"). Handlers stay thin:
 * authenticate, read a bounded body, validate with zod, call the module,
 * map errors to `{error, message}`. Every request is logged once answered
 * (method, route, status, duration; health checks and the app proxy at debug
 * level), with the app's request id (`x-request-id`) when it sent a valid one,
 * which every entry made while handling it carries too.
 */
export function createRunnerServer(options: RunnerServerOptions): Server {
  const auth = new RequestAuthenticator(options.secret);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.logger ?? defaultLogger;
  const { sessions } = options;

  const routes: Route[] = [
    {
      method: "GET",
      pattern: /^\/v1\/health$/,
      public: true,
      handle: async () => ({ status: 200, body: { status: "ok", ...options.health?.() } }),
    },
    {
      method: "GET",
      pattern: /^\/v1\/runtimes$/,
      handle: async () => ({ status: 200, body: await options.runtimes() }),
    },
    {
      method: "POST",
      pattern: /^\/v1\/execute$/,
      schema: true,
      handle: async ({ body, signal }) => ({ status: 200, body: await options.execute(body, signal) }),
    },
    {
      method: "POST",
      pattern: /^\/v1\/sessions$/,
      schema: CreateSessionSchema,
      handle: async ({ body }) => {
        const session = await sessions.create((body as z.infer<typeof CreateSessionSchema>).userId);
        return { status: 201, body: { id: session.id } };
      },
    },
    {
      method: "PUT",
      pattern: new RegExp(`^${SESSION}/files$`),
      schema: WriteFilesSchema,
      handle: async ({ params, body }) => {
        const { files, deletes = [] } = body as z.infer<typeof WriteFilesSchema>;
        await sessions.writeFiles(params[0]!, { files, deletes });
        return { status: 200, body: { written: files.length, deleted: deletes.length } };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^${SESSION}/files$`),
      handle: async ({ params, query }) => {
        const relPath = query.get("path");
        if (!relPath) throw new HttpError(400, "invalid_request", "The path query parameter is required.");
        const bytes = await sessions.readFile(params[0]!, relPath, MAX_READ_FILE_BYTES);
        return { status: 200, body: { path: relPath, size: bytes.length, contentBase64: bytes.toString("base64") } };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^${SESSION}/commands$`),
      schema: RunCommandSchema,
      handle: async ({ params, body, signal }) => {
        const request = body as z.infer<typeof RunCommandSchema>;
        const result = await sessions.runCommand(
          params[0]!,
          { argv: commandArgv(request), stdin: request.stdin, limits: request.limits },
          signal,
        );
        return { status: 200, body: result };
      },
    },
    {
      method: "PUT",
      pattern: new RegExp(`^${SESSION}/app$`),
      schema: StartAppSchema,
      handle: async ({ params, body }) => {
        const request = body as z.infer<typeof StartAppSchema>;
        const status = await sessions.startApp(params[0]!, {
          argv: commandArgv(request),
          port: request.port,
          env: request.env,
          install: request.install === undefined ? undefined : ["/bin/sh", "-c", request.install],
        });
        return { status: 202, body: status };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^${SESSION}/app$`),
      handle: async ({ params }) => ({ status: 200, body: sessions.appStatus(params[0]!) }),
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^${SESSION}/app$`),
      handle: async ({ params }) => {
        await sessions.stopApp(params[0]!);
        return { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^${SESSION}/app/logs$`),
      handle: async ({ params, query }) => {
        const since = Number(query.get("since") ?? 0);
        if (!Number.isSafeInteger(since) || since < 0) throw new HttpError(400, "invalid_request", "since must be a byte offset.");
        return { status: 200, body: sessions.appLogs(params[0]!, since) };
      },
    },
    {
      method: "*",
      pattern: new RegExp(`^${SESSION}/app/http(?:/.*)?$`),
      handle: async () => ({ status: 500 }),
      passThrough: async ({ params }, req, res, body) => {
        const { linkSocket, port } = sessions.appTarget(params[0]!);
        await proxyHttp(linkSocket, port, req, res, appPathOf(req.url ?? "/"), body);
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^${SESSION}$`),
      handle: async ({ params }) => {
        await sessions.delete(params[0]!);
        return { status: 204 };
      },
    },
  ];

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const pathWithQuery = req.url ?? "/";
    const pathname = pathWithQuery.split("?")[0]!;
    const candidates = routes.filter((r) => r.pattern.test(pathname));
    if (candidates.length === 0) throw notFound(`No route for ${pathname.slice(0, 200)}.`);
    const route = candidates.find((r) => r.method === req.method || r.method === "*");
    if (!route) {
      res.setHeader("allow", candidates.map((r) => r.method).join(", "));
      throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${pathname}.`);
    }

    if (!route.public) {
      const early = auth.precheck(req.headers);
      if (early) throw new HttpError(401, "unauthorized", describeAuthFailure(early));
    }
    const limit = route.schema || route.passThrough ? maxBodyBytes : 0;
    const raw = await readBody(req, Math.max(limit, 0)).catch((err) => {
      // A body where none belongs is only "too large" in a technical sense.
      if (limit === 0 && err instanceof HttpError && err.status === 413) {
        throw new HttpError(400, "invalid_request", `${req.method} ${pathname} takes no body.`);
      }
      throw err;
    });
    if (!route.public) {
      const failure = auth.verify(req.headers, req.method!, pathWithQuery, raw.sha256);
      if (failure) throw new HttpError(401, "unauthorized", describeAuthFailure(failure));
    }

    let body: unknown = undefined;
    if (route.schema) {
      let json: unknown;
      try {
        json = JSON.parse(raw.bytes.toString("utf8"));
      } catch {
        throw new HttpError(400, "invalid_json", "Request body is not valid JSON.");
      }
      if (route.schema === true) {
        body = json;
      } else {
        const parsed = route.schema.safeParse(json);
        if (!parsed.success) {
          throw new HttpError(400, "invalid_request", describeZodError(parsed.error), {
            issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
          });
        }
        body = parsed.data;
      }
    }

    const params = route.pattern.exec(pathname)!.slice(1).map((p) => safeDecode(p ?? ""));
    const query = new URLSearchParams(pathWithQuery.includes("?") ? pathWithQuery.slice(pathWithQuery.indexOf("?") + 1) : "");
    if (route.passThrough) {
      await route.passThrough({ params, query, body, signal }, req, res, raw.bytes);
      return;
    }
    const result = await route.handle({ params, query, body, signal });
    // The client went away meanwhile: its run was killed, and there is nobody to answer.
    if (signal.aborted) return;
    sendJson(res, result.status, result.body);
  }

  const server = createServer((req, res) =>
    withRequestId(requestIdOf(req), () => {
      const started = performance.now();
      const route = (req.url ?? "/").split("?")[0]!.slice(0, 200);
      let errorCode: string | undefined;
      // A client that goes away before its response is sent (fetch aborted, socket closed) aborts the
      // request: execute and session commands kill their run's cgroup, as their wall time limit would.
      // A close after the response was written (keep-alive ending, say) changes nothing.
      const disconnected = new AbortController();
      res.once("close", () => {
        if (!res.writableEnded) disconnected.abort();
        const fields = {
          method: req.method,
          route,
          status: res.statusCode,
          durationMs: Math.round(performance.now() - started),
          ...(errorCode ? { error: errorCode } : {}),
          ...(disconnected.signal.aborted ? { aborted: true } : {}),
        };
        if (res.statusCode >= 500) log.warn(fields, "request failed");
        else if (route === "/v1/health" || APP_HTTP.test(route)) log.debug(fields, "request");
        else log.info(fields, "request");
      });
      handle(req, res, disconnected.signal).catch((caught: unknown) => {
        if (disconnected.signal.aborted) return;
        const err = caught instanceof RequestError ? new HttpError(caught.status, caught.code, caught.message) : caught;
        if (err instanceof HttpError) {
          errorCode = err.code;
          // Stop receiving a body we refused (413, or a 401 before it was read).
          if (!req.complete) res.setHeader("connection", "close");
          sendJson(res, err.status, { error: err.code, message: err.message, ...err.extra });
          return;
        }
        errorCode = "internal_error";
        log.error({ err, method: req.method, route }, "unhandled error");
        sendJson(res, 500, { error: "internal_error", message: "The runner failed to handle this request." });
      });
    }),
  );
  server.requestTimeout = 10 * 60_000;
  server.headersTimeout = 30_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPtyFrameBytes ?? 1024 * 1024 });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => withRequestId(requestIdOf(req), () => upgrade(req, socket, head)));
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server leaves an upgraded socket without an error listener: a client resetting the
    // connection while it is refused would otherwise crash the runner.
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://runner");
    const appMatch = APP_HTTP.exec(url.pathname);
    if (appMatch) return upgradeToApp(req, socket, head, safeDecode(appMatch[1]!));
    const match = new RegExp(`^${SESSION}/pty$`).exec(url.pathname);
    if (!match) return refuseUpgrade(socket, 404, "not_found", "No WebSocket route here.");
    const sessionId = safeDecode(match[1]!);
    const ticket = auth.verifyTicket(url.searchParams.get("ticket"), sessionId);
    if (!ticket.ok) return refuseUpgrade(socket, 401, "unauthorized", ticket.message);
    let terminal;
    try {
      const session = sessions.get(sessionId);
      if (session.userId !== ticket.payload.userId) {
        return refuseUpgrade(socket, 403, "forbidden", "The terminal ticket is for another user.");
      }
      terminal = sessions.terminal(sessionId, initialSize(url));
    } catch (err) {
      if (err instanceof HttpError) return refuseUpgrade(socket, err.status, err.code, err.message);
      log.error({ err, sessionId: sessionId.slice(0, 40) }, "terminal start failed");
      return refuseUpgrade(socket, 500, "internal_error", "The terminal could not be started.");
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Protocol errors (a frame over maxPayload, a TEXT frame that is not UTF-8 …) are emitted here
      // after ws has closed the socket with the matching code; unheard, they would crash the runner.
      ws.on("error", (err) => log.warn({ sessionId: sessionId.slice(0, 40), error: err.message }, "terminal client closed on a protocol error"));
      terminal.attach(ws);
    });
  }
  /** A WebSocket to a session's app (hot reload): a ticket for the session's user in a header, then a byte tunnel. */
  function upgradeToApp(req: IncomingMessage, socket: Duplex, head: Buffer, sessionId: string): void {
    const header = req.headers[APP_TICKET_HEADER];
    const ticket = auth.verifyTicket(typeof header === "string" ? header : null, sessionId);
    if (!ticket.ok) return refuseUpgrade(socket, 401, "unauthorized", ticket.message);
    try {
      if (sessions.get(sessionId).userId !== ticket.payload.userId) {
        return refuseUpgrade(socket, 403, "forbidden", "The ticket is for another user.");
      }
      const { linkSocket, port } = sessions.appTarget(sessionId);
      proxyUpgrade(linkSocket, port, req, socket, head, appPathOf(req.url ?? "/"));
    } catch (err) {
      if (err instanceof HttpError) return refuseUpgrade(socket, err.status, err.code, err.message);
      log.error({ err, sessionId: sessionId.slice(0, 40) }, "app upgrade failed");
      return refuseUpgrade(socket, 500, "internal_error", "The app could not be reached.");
    }
  }

  server.on("close", () => wss.close());
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}

/** The app's request id, when the request carries a valid one. */
function requestIdOf(req: IncomingMessage): string | undefined {
  const header = req.headers[REQUEST_ID_HEADER];
  return typeof header === "string" && isValidRequestId(header) ? header : undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function initialSize(url: URL): { cols: number; rows: number } | undefined {
  const cols = Number(url.searchParams.get("cols"));
  const rows = Number(url.searchParams.get("rows"));
  if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1 || cols > 1000 || rows > 500) {
    return undefined;
  }
  return { cols, rows };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: code, message });
  const reason = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error" }[status] ?? "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
