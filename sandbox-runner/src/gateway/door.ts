import { chmodSync, chownSync, mkdirSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { GATEWAY_PORT_IN_SANDBOX } from "./config";
import { PYPI_FILE_PATH, PYPI_INDEX_PATH, PypiError, type PypiMirror } from "./pypi";

/**
 * A session's door to the package gateway: an HTTP server on a Unix socket of its own, bound into
 * that session's sandboxes (gateway-link forwards 127.0.0.1:4873 there to it). It lets through
 * what installing packages needs and nothing else:
 *   - GET and HEAD only (no publish, login, audit or any other write);
 *   - package metadata and tarball paths only, passed to the registry server (registry-main.ts);
 *   - at most `requestsPerMinute` requests a minute and `concurrentRequests` at once (429 past
 *     them), each answered within `requestTimeoutMs` and at most `maxResponseBytes` long;
 *   - only a few request headers are passed on, and the Host is always the sandbox's own address,
 *     so tarball URLs in the metadata point back through this door.
 * With a PyPI upstream, Python project pages and files too (/pypi/simple/…, /pypi/files/…; pypi.ts).
 * Everything refused gets a JSON body whose message says why; package managers print it.
 */

const PACKAGE = String.raw`(?:@[a-z0-9][\w.~-]*(?:/|%2[fF]))?[a-z0-9_][\w.~-]*`;
const METADATA = new RegExp(`^/${PACKAGE}(?:/[\\w.~+-]+)?$`, "i");
const TARBALL = new RegExp(String.raw`^/${PACKAGE}/-/(?:@[a-z0-9][\w.~-]*/)?[\w.~+-]+\.tgz$`, "i");

const FORWARDED_REQUEST_HEADERS = ["accept", "accept-encoding", "user-agent", "if-none-match", "if-modified-since", "npm-command"];
const FORWARDED_RESPONSE_HEADERS = ["content-type", "content-length", "content-encoding", "etag", "last-modified", "cache-control"];

export interface DoorLimits {
  requestsPerMinute: number;
  concurrentRequests: number;
  maxResponseBytes: number;
  requestTimeoutMs: number;
}

function refuse(res: ServerResponse, status: number, error: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error, message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Whether a request path is one a package manager reads (metadata or a tarball). */
export function isPackagePath(url: string): boolean {
  const pathname = url.split("?")[0]!;
  return METADATA.test(pathname) || TARBALL.test(pathname);
}

export class Door {
  private readonly server: Server;
  private inFlight = 0;
  private windowStart = 0;
  private windowCount = 0;

  constructor(
    readonly socket: string,
    private readonly registrySocket: string,
    private readonly limits: DoorLimits,
    private readonly clock: () => number = Date.now,
    /** PyPI through the gateway (pypi.ts); none: /pypi/ paths are refused. */
    private readonly pypi?: PypiMirror,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on("clientError", (_error, conn) => conn.destroy());
    this.server.headersTimeout = 30_000;
    this.server.requestTimeout = limits.requestTimeoutMs;
  }

  async listen(ownerUid: number, ownerGid: number): Promise<void> {
    mkdirSync(path.dirname(this.socket), { recursive: true, mode: 0o711 });
    rmSync(this.socket, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.socket, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    // Only the session's own uid may connect (the runner, root, too).
    chownSync(this.socket, ownerUid, ownerGid);
    chmodSync(this.socket, 0o600);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    rmSync(this.socket, { force: true });
  }

  private admit(res: ServerResponse): boolean {
    const now = this.clock();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (this.windowCount >= this.limits.requestsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((this.windowStart + 60_000 - now) / 1000));
      refuse(res, 429, "rate_limited", `This session made more than ${this.limits.requestsPerMinute} package requests in a minute.`, {
        "retry-after": String(retryAfter),
      });
      return false;
    }
    if (this.inFlight >= this.limits.concurrentRequests) {
      refuse(res, 429, "too_many_requests", `This session already has ${this.limits.concurrentRequests} package requests in flight.`, {
        "retry-after": "1",
      });
      return false;
    }
    this.windowCount++;
    return true;
  }

  /** Counts the request in flight until its response closes. */
  private track(res: ServerResponse): void {
    this.inFlight++;
    res.once("close", () => this.inFlight--);
  }

  private handlePypi(pathname: string, req: IncomingMessage, res: ServerResponse): void {
    const pypi = this.pypi;
    if (!pypi) {
      refuse(res, 403, "pypi_not_configured", "This runner reads no Python packages: its PyPI upstream is not configured (RUNNER_PYPI_UPSTREAM).");
      return;
    }
    const page = PYPI_INDEX_PATH.exec(pathname);
    const file = PYPI_FILE_PATH.exec(pathname);
    if (!page && !file) {
      refuse(res, 403, "not_a_package", "Only project pages and package files can be read through the sandbox's package gateway.");
      return;
    }
    if (!this.admit(res)) return;
    this.track(res);
    const timer = setTimeout(() => {
      refuse(res, 504, "timeout", `The package registry did not answer within ${this.limits.requestTimeoutMs / 1000} s.`);
    }, this.limits.requestTimeoutMs);
    res.once("close", () => clearTimeout(timer));
    const answered = page
      ? pypi.projectPage(page[1]!, req.headers.accept).then(({ contentType, body }) => {
          res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
          res.end(req.method === "HEAD" ? undefined : body);
        })
      : pypi.sendFile(file![1]!, decodeURIComponent(file![2]!), res, req.method === "HEAD");
    answered.then(
      () => clearTimeout(timer),
      (error: unknown) => {
        clearTimeout(timer);
        if (error instanceof PypiError) refuse(res, error.status, error.code, error.message);
        else if (error instanceof URIError) refuse(res, 400, "bad_file", "That is not a package file.");
        else refuse(res, 502, "gateway_error", "The package gateway failed to answer; try again in a moment.");
      },
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    if (req.method !== "GET" && req.method !== "HEAD") {
      // Its body is never read, so the connection is not reused.
      refuse(res, 405, "read_only", "The package gateway is read-only: publishing, logging in and audits are not available in the sandbox.", {
        allow: "GET, HEAD",
        connection: "close",
      });
      return;
    }
    const pathname = url.split("?")[0]!;
    // (An npm package named "pypi" keeps its paths: /pypi, /pypi/-/….tgz.)
    if (pathname.startsWith("/pypi/simple/") || pathname.startsWith("/pypi/files/")) {
      this.handlePypi(pathname, req, res);
      return;
    }
    if (!isPackagePath(url)) {
      refuse(res, 403, "not_a_package", "Only package metadata and tarballs can be read through the sandbox's package gateway.");
      return;
    }
    if (!this.admit(res)) return;
    this.track(res);

    const headers: Record<string, string> = { host: `127.0.0.1:${GATEWAY_PORT_IN_SANDBOX}`, "x-forwarded-proto": "http" };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const upstream = httpRequest({ socketPath: this.registrySocket, method: req.method, path: url, headers });
    const timer = setTimeout(() => {
      upstream.destroy();
      refuse(res, 504, "timeout", `The package registry did not answer within ${this.limits.requestTimeoutMs / 1000} s.`);
    }, this.limits.requestTimeoutMs);
    res.once("close", () => {
      clearTimeout(timer);
      upstream.destroy();
    });
    upstream.on("error", () => {
      clearTimeout(timer);
      refuse(res, 502, "gateway_unavailable", "The package gateway could not reach its registry server; try again in a moment.");
    });
    upstream.on("response", (answer) => {
      const length = Number(answer.headers["content-length"]);
      if (Number.isFinite(length) && length > this.limits.maxResponseBytes) {
        answer.destroy();
        clearTimeout(timer);
        refuse(res, 502, "too_large", `The package is larger than the gateway's limit of ${this.limits.maxResponseBytes} bytes.`);
        return;
      }
      const out: Record<string, string> = {};
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const value = answer.headers[name];
        if (typeof value === "string") out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      let bytes = 0;
      answer.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        // A response without a length that turns out too large is cut off: the client sees a broken download.
        if (bytes > this.limits.maxResponseBytes) res.destroy();
      });
      answer.on("end", () => clearTimeout(timer));
      answer.on("error", () => res.destroy());
      answer.pipe(res);
    });
    req.pipe(upstream);
  }
}
