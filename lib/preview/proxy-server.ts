import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { CLERK_SESSION_COOKIE } from "@/lib/auth/clerk";
import { SESSION_COOKIE } from "@/lib/auth/session";
import { env } from "@/lib/env";
import { log, REQUEST_ID_HEADER, requestIdFrom, withLogContext } from "@/lib/log";
import { tunnelUpgrade } from "../../sandbox-runner/src/sessions/app-proxy";
import { runnerClient } from "@/lib/sandbox";
import { peekProjectSession } from "@/lib/sandbox/project-sessions";
import { previewIdFromHost, resolvePreviewId } from "./live";

/**
 * The preview proxy: the only way a browser reaches a project's running app. It listens on its own
 * port; every preview is an origin of its own (`PREVIEW_URL_TEMPLATE`, e.g.
 * http://p1a2b….preview.localhost:3001), whose first label is the preview id (./live). A request
 * for a known id goes, signed, to the runner session of that user's project, which passes it to the
 * app (sandbox-runner/src/sessions/app-proxy.ts); a WebSocket upgrade (Vite's or Next's hot reload)
 * goes with a single-use ticket and becomes a byte tunnel.
 *
 * What the app never gets: AUTOCREA's session cookies (Clerk's or the local one, in case a
 * deployment shares a parent domain), hop-by-hop headers. What it cannot do: be framed by any page
 * but AUTOCREA's (frame-ancestors), set a cookie for another preview (Domain is removed, so cookies
 * stay on its own origin).
 *
 * Each request gets an id (a valid incoming `x-request-id`, else a new one) that its log entries and
 * its call to the runner carry; it is logged at debug level, a failure at error.
 */

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host"]);
const AUTH_COOKIE = new RegExp(`^(${SESSION_COOKIE}|${CLERK_SESSION_COOKIE}|__session_.*|__client_uat.*|__clerk.*|__refresh.*)$`);

/** The Cookie header without AUTOCREA's own cookies; undefined when nothing is left. */
export function appCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part && !AUTH_COOKIE.test(part.split("=")[0]!.trim()));
  return kept.length ? kept.join("; ") : undefined;
}

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === "cookie" || name.startsWith("x-runner-") || name.startsWith("x-forwarded-")) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const cookie = appCookies(req.headers.cookie);
  if (cookie) out.cookie = cookie;
  // The app sees Host 127.0.0.1:<port> (dev servers check it); frameworks that compare the page's
  // Origin with the host it was served from (Next's server actions) read these.
  if (req.headers.host) out["x-forwarded-host"] = req.headers.host;
  out["x-forwarded-proto"] = new URL(env().PREVIEW_URL_TEMPLATE).protocol.replace(":", "");
  return out;
}

/** Set-Cookie without a Domain attribute: the cookie stays on this preview's own origin. */
export function hostOnlyCookie(setCookie: string): string {
  return setCookie
    .split(";")
    .filter((part) => !/^\s*domain\s*=/i.test(part))
    .join(";");
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:system-ui,sans-serif;padding:2rem;color:#334155"><h1 style="font-size:1.1rem">${title}</h1><p>${text}</p></body>`;
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
}

function frameAncestors(): string {
  return `frame-ancestors ${new URL(env().APP_URL).origin}`;
}

/** The running app a request is for, or an answer saying why there is none. */
function target(req: IncomingMessage): { sessionId: string; userId: string } | { status: number; title: string; text: string } {
  const id = previewIdFromHost(req.headers.host);
  const grant = id ? resolvePreviewId(id) : null;
  if (!grant) {
    return { status: 404, title: "This preview link has expired", text: "Open the preview again from the project in AUTOCREA." };
  }
  const session = peekProjectSession(grant.userId, grant.projectId);
  if (!session?.app) {
    return { status: 503, title: "The app is not running", text: "Start it from the preview panel in AUTOCREA." };
  }
  return { sessionId: session.sessionId, userId: grant.userId };
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const found = target(req);
  if ("status" in found) return page(res, found.status, found.title, found.text);
  const body = await readBody(req);
  if (body === null) return page(res, 413, "Request too large", `The preview passes request bodies of up to ${MAX_BODY_BYTES / 1024 / 1024} MB.`);
  const answer = await runnerClient().proxyToApp(found.sessionId, {
    method: req.method ?? "GET",
    pathWithQuery: req.url ?? "/",
    headers: forwardedHeaders(req),
    body,
  });
  if (answer.headers.get("x-autocrea-app") === null && answer.status >= 400 && answer.headers.get("content-type")?.includes("application/json")) {
    // The runner's own refusal (the app is gone, the session was lost), not the app's answer.
    const reason = (await answer.json().catch(() => ({}))) as { message?: string };
    return page(res, 503, "The app is not running", reason.message ?? "Start it again from the preview panel in AUTOCREA.");
  }
  const headers: Record<string, string | string[]> = {};
  answer.headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || name === "set-cookie" || name === "x-autocrea-app" || name === "content-length") return;
    headers[name] = value;
  });
  const cookies = answer.headers.getSetCookie().map(hostOnlyCookie);
  if (cookies.length) headers["set-cookie"] = cookies;
  const length = answer.headers.get("content-length");
  // fetch decoded a compressed body; its length no longer holds then.
  if (length && !answer.headers.get("content-encoding")) headers["content-length"] = length;
  delete headers["content-encoding"];
  headers["content-security-policy"] = frameAncestors();
  res.writeHead(answer.status, headers);
  if (!answer.body || req.method === "HEAD") {
    res.end();
    return;
  }
  Readable.fromWeb(answer.body as unknown as WebReadableStream).on("error", () => res.destroy()).pipe(res);
}

function tunnel(req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer): void {
  socket.on("error", () => socket.destroy());
  const found = target(req);
  if ("status" in found) {
    socket.end(`HTTP/1.1 ${found.status} ${found.title}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    return;
  }
  const { url, headers } = runnerClient().appUpgradeTarget(found.sessionId, found.userId, req.url ?? "/");
  tunnelUpgrade(
    { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)) },
    `GET ${url.pathname}${url.search} HTTP/1.1`,
    { host: url.host, connection: "Upgrade", upgrade: String(req.headers.upgrade ?? "websocket"), ...forwardedHeaders(req), ...headers },
    socket,
    head,
  );
}

function requestIdOf(req: IncomingMessage): string {
  const header = req.headers[REQUEST_ID_HEADER];
  return requestIdFrom(typeof header === "string" ? header : undefined);
}

export interface PreviewServer {
  port: number;
  close(): Promise<void>;
}

export async function startPreviewServer(options: { port?: number; host?: string } = {}): Promise<PreviewServer> {
  const server: Server = createServer((req, res) => {
    const started = performance.now();
    withLogContext({ requestId: requestIdOf(req) }, () => {
      res.once("finish", () =>
        log.debug(
          { method: req.method, route: (req.url ?? "/").split("?")[0], status: res.statusCode, durationMs: Math.round(performance.now() - started) },
          "preview request",
        ),
      );
      handle(req, res).catch((err: unknown) => {
        log.error({ err, method: req.method, route: (req.url ?? "/").split("?")[0] }, "preview proxy failed");
        if (!res.headersSent) page(res, 502, "The preview could not reach the app", "Try again in a moment.");
        else res.destroy();
      });
    });
  });
  server.on("upgrade", (req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) =>
    withLogContext({ requestId: requestIdOf(req) }, () => tunnel(req, socket, head)),
  );
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? env().PREVIEW_PORT, options.host ?? env().PREVIEW_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
