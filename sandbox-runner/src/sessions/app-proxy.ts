import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

/**
 * The runner's half of the live preview: HTTP requests and WebSocket upgrades for a session's app,
 * passed to it through its link socket (app-process.ts). The app's own preview proxy calls these
 * routes with signed requests (HTTP) or a ticket (WebSocket); the browser never reaches the runner.
 * A WebSocket is a byte tunnel once the app accepted the upgrade: no frame is parsed here.
 */

/** Set on every response that comes from the app itself. */
export const APP_ANSWER_HEADER = "x-autocrea-app";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/** Request headers the app gets: the client's, without hop-by-hop ones and the runner's own. */
export function appRequestHeaders(headers: IncomingHttpHeaders, port: number): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith("x-runner-")) continue;
    out[name] = value;
  }
  // The app sees itself addressed as what it listens on; the app's proxy rewrites absolute URLs back if needed.
  out.host = `127.0.0.1:${port}`;
  return out;
}

/** Answers `res` with the app's response to one request; 502 with a reason when the app cannot be reached. */
export function proxyHttp(
  linkSocket: string,
  port: number,
  req: IncomingMessage,
  res: ServerResponse,
  pathWithQuery: string,
  body: Buffer,
): Promise<void> {
  return new Promise((resolve) => {
    const headers = appRequestHeaders(req.headers, port);
    if (body.length > 0) headers["content-length"] = String(body.length);
    const upstream = httpRequest({ socketPath: linkSocket, method: req.method, path: pathWithQuery, headers, agent: false });
    upstream.on("response", (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      if (answer.headers["content-length"]) out["content-length"] = answer.headers["content-length"];
      // Tells the app's proxy this answer is the app's own, not the runner's refusal.
      out[APP_ANSWER_HEADER] = "1";
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on("end", () => resolve());
      answer.on("error", () => {
        res.destroy();
        resolve();
      });
    });
    upstream.on("error", () => {
      if (!res.headersSent) {
        const text = JSON.stringify({ error: "app_unreachable", message: "The app did not answer: it may have stopped or crashed." });
        res.writeHead(502, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
        res.end(text);
      } else res.destroy();
      resolve();
    });
    res.on("close", () => upstream.destroy());
    upstream.end(body);
  });
}

/**
 * Replays an upgrade request (request line and headers, CR/LF removed from values) on a fresh
 * connection to `to`, then joins the two sockets: whatever answers, accepted or not, reaches the
 * client unchanged, and no frame is parsed. Shared by the runner (to an app's link) and the app's
 * preview proxy (to the runner).
 */
export function tunnelUpgrade(
  to: net.NetConnectOpts,
  requestLine: string,
  headers: Record<string, string | string[]>,
  socket: Duplex,
  head: Buffer,
): void {
  const lines = [requestLine];
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one.replace(/[\r\n]/g, "")}`);
  }
  const upstream = net.connect(to);
  socket.on("error", () => upstream.destroy());
  upstream.on("error", () => {
    if (socket.writable) socket.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  upstream.on("connect", () => {
    upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  socket.on("close", () => upstream.destroy());
  upstream.on("close", () => socket.destroy());
}

/** Passes a WebSocket upgrade to the app through its link, the runner's own headers removed. */
export function proxyUpgrade(linkSocket: string, port: number, req: IncomingMessage, socket: Duplex, head: Buffer, pathWithQuery: string): void {
  tunnelUpgrade(
    { path: linkSocket },
    `${req.method} ${pathWithQuery} HTTP/1.1`,
    { ...appRequestHeaders(req.headers, port), connection: "Upgrade", upgrade: String(req.headers.upgrade ?? "websocket") },
    socket,
    head,
  );
}
