import { randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { issueTicket, signRequest } from "../src/auth/signing";
import type { Logger } from "../src/log";
import { decodeFrame, encodeAck, encodeData } from "../src/pty/protocol";
import type { ServerConfig } from "../src/server/config";
import { startRunner, type RunningRunner } from "../src/server/start";

// Each test process's runners keep workspaces in a state dir of its own (created 0755 so the sandbox
// uid can traverse it). Vitest ends its workers without an "exit" event, so the dirs of test
// processes that are gone are removed by the next run.
const STATE_PREFIX = "autocrea-runner-tests-";
for (const name of readdirSync(os.tmpdir())) {
  const pid = Number(name.slice(STATE_PREFIX.length));
  if (name.startsWith(STATE_PREFIX) && Number.isInteger(pid) && !isAlive(pid)) {
    rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}
process.env.RUNNER_STATE_DIR ??= path.join(os.tmpdir(), `${STATE_PREFIX}${process.pid}`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface TestRunner extends RunningRunner {
  secret: string;
  call(method: string, pathWithQuery: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Sends exactly these bytes and headers; for tests of what the server refuses. */
  raw(
    method: string,
    pathWithQuery: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<{ status: number; json: any }>;
  signed(method: string, pathWithQuery: string, body?: string): Record<string, string>;
  ticket(sessionId: string, userId: string, options?: { ttlSeconds?: number; now?: number }): string;
  ptyUrl(sessionId: string, ticket: string): string;
}

export async function startTestRunner(
  overrides: Partial<ServerConfig> = {},
  logger?: Logger,
): Promise<TestRunner> {
  const secret = randomBytes(32).toString("hex");
  const runner = await startRunner(
    {
      port: 0,
      host: "127.0.0.1",
      secret,
      sessionIdleTtlMs: 10 * 60_000,
      maxSessions: 16,
      maxBodyBytes: 16 * 1024 * 1024,
      // Tests of the gateway (gateway.test.ts, server-apps.test.ts) ask for it.
      gateway: false,
      appIdleTtlMs: 10 * 60_000,
      workspaceQuota: { bytes: 2048 * 1024 * 1024, inodes: 200_000 },
      ...overrides,
    },
    undefined,
    logger,
  );
  const signed = (method: string, pathWithQuery: string, body?: string) =>
    signRequest({ secret, method, pathWithQuery, body });
  const raw: TestRunner["raw"] = async (method, pathWithQuery, body, headers) => {
    const response = await fetch(runner.url + pathWithQuery, { method, headers, body });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
  return {
    ...runner,
    secret,
    signed,
    raw,
    call(method, pathWithQuery, body) {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const headers = { ...signed(method, pathWithQuery, text), ...(text ? { "content-type": "application/json" } : {}) };
      return raw(method, pathWithQuery, text, headers);
    },
    ticket: (sessionId, userId, options) => issueTicket(secret, { sessionId, userId }, options),
    ptyUrl: (sessionId, ticket) =>
      `${runner.url.replace("http", "ws")}/v1/sessions/${sessionId}/pty?ticket=${encodeURIComponent(ticket)}`,
  };
}

/** A body of `bytes` bytes sent with node:http, so the response can arrive before the body is finished. */
export function postLargeBody(
  url: string,
  headers: Record<string, string>,
  bytes: number,
  { chunked = false }: { chunked?: boolean } = {},
): Promise<{ status: number; json: any; bytesSent: number }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { ...headers, "content-type": "application/json", ...(chunked ? {} : { "content-length": String(bytes) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          stopped = true;
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined, bytesSent: sent });
        });
      },
    );
    let sent = 0;
    let stopped = false;
    req.on("error", (error) => {
      // The server closes the connection after refusing; that is only an error if no answer came.
      if (!stopped) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, "a");
    const pump = () => {
      while (!stopped && sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!stopped) req.end();
    };
    pump();
  });
}

/** A terminal client that records everything and acks as told. */
export class TerminalClient {
  readonly socket: WebSocket;
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];
  exitCode: number | null = null;
  closeCode: number | null = null;

  constructor(
    url: string,
    private readonly options: { autoAck?: boolean; onData?: (data: Uint8Array) => void } = {},
  ) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = "nodebuffer";
    this.socket.on("message", (message: Buffer) => {
      const frame = decodeFrame(message);
      if (frame?.type === "data") {
        if (this.options.onData) this.options.onData(frame.data);
        else this.received.push(Buffer.from(frame.data));
        this.receivedBytes += frame.data.length;
        if (this.options.autoAck !== false) this.socket.send(encodeAck(frame.data.length));
        this.checkWaiters();
      } else if (frame?.type === "exit") {
        this.exitCode = frame.code;
      }
    });
    this.socket.on("close", (code) => {
      this.closeCode = code;
    });
  }

  /** Resolves once open; rejects with the HTTP status when the upgrade is refused. */
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.socket.once("error", reject);
    });
  }

  get bytes(): number {
    return this.receivedBytes;
  }

  text(): string {
    return Buffer.concat(this.received).toString("utf8");
  }

  clear(): void {
    this.received = [];
  }

  type(text: string): void {
    this.socket.send(encodeData(text));
  }

  sendFrame(frame: Uint8Array): void {
    this.socket.send(frame);
  }

  /** Waits until the output (since the last clear) satisfies `test`; rejects after `timeoutMs` with what was seen. */
  waitFor(test: string | RegExp | ((text: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const check =
      typeof test === "string" ? (t: string) => t.includes(test) : test instanceof RegExp ? (t: string) => test.test(t) : test;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${String(test)}; output so far: ${JSON.stringify(this.text().slice(-500))}`)),
        timeoutMs,
      );
      const waiter = {
        test: check,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.text());
        },
      };
      this.waiters.push(waiter);
      this.checkWaiters();
    });
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const text = this.text();
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(text)) return true;
      w.resolve();
      return false;
    });
  }
}
