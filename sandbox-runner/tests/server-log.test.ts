import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../src/auth/signing";
import { createLogger } from "../src/log";
import { createRunnerServer } from "../src/server/server";
import type { SessionManager } from "../src/sessions/manager";

/**
 * The runner's request log (src/log.ts, src/server/server.ts), without sandboxes: a server whose
 * modules are stand-ins. The app's request id (x-request-id) is on every entry about the request.
 */

const secret = "k".repeat(64);
const lines: string[] = [];
const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
let url: string;
let close: () => Promise<void>;
let runtimesFail = false;

beforeAll(async () => {
  const server = createRunnerServer({
    secret,
    sessions: {} as SessionManager,
    execute: async () => ({}),
    runtimes: async () => {
      if (runtimesFail) throw new Error("the runtimes table is corrupt (internal detail)");
      return [{ language: "python" }];
    },
    logger: createLogger({ level: "debug", write: (line) => lines.push(line) }),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

async function call(path: string, headers: Record<string, string> = {}) {
  const signed = signRequest({ secret, method: "GET", pathWithQuery: path, body: undefined });
  const response = await fetch(url + path, { headers: { ...signed, ...headers } });
  return { status: response.status, text: await response.text() };
}

/** The request line arrives when the response is closed, just after the client has read it. */
async function requestLine(requestId: string | undefined, route: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const found = entries().find((e) => (e.msg === "request" || e.msg === "request failed") && e.route === route && e.requestId === requestId);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no request line for ${route}: ${lines.join("")}`);
}

describe("the runner's request log", () => {
  it("logs each request with the app's request id, method, route, status and duration", async () => {
    expect((await call("/v1/runtimes", { "x-request-id": "app-req-1" })).status).toBe(200);
    expect(await requestLine("app-req-1", "/v1/runtimes")).toMatchObject({
      level: "info",
      service: "runner",
      requestId: "app-req-1",
      method: "GET",
      status: 200,
      durationMs: expect.any(Number),
    });
    // Health checks (load balancers, probes) at debug level.
    expect((await call("/v1/health", { "x-request-id": "probe-1" })).status).toBe(200);
    expect(await requestLine("probe-1", "/v1/health")).toMatchObject({ level: "debug", status: 200 });
  });

  it("leaves an invalid request id out, and logs a refused request with its code", async () => {
    const response = await fetch(`${url}/v1/runtimes`, { headers: { "x-request-id": "not valid!" } });
    expect(response.status).toBe(401);
    expect(await requestLine(undefined, "/v1/runtimes")).toMatchObject({ level: "info", status: 401, error: "unauthorized" });
    expect(entries().some((e) => e.requestId === "not valid!")).toBe(false);
  });

  it("logs an unexpected error with its stack and the request id; the answer has neither", async () => {
    runtimesFail = true;
    try {
      const { status, text } = await call("/v1/runtimes", { "x-request-id": "app-req-2" });
      expect(status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: "internal_error", message: "The runner failed to handle this request." });
      expect(text).not.toContain("corrupt");
    } finally {
      runtimesFail = false;
    }
    const failure = entries().find((e) => e.msg === "unhandled error");
    expect(failure).toMatchObject({ level: "error", requestId: "app-req-2", method: "GET", route: "/v1/runtimes" });
    expect((failure!.err as { stack: string }).stack).toContain("the runtimes table is corrupt");
    expect(await requestLine("app-req-2", "/v1/runtimes")).toMatchObject({ level: "warn", status: 500, error: "internal_error" });
  });

  it("redacts secrets like the app's logger", () => {
    const captured: string[] = [];
    const log = createLogger({ level: "info", write: (line) => captured.push(line) });
    log.info({ headers: { authorization: "Bearer t0ken", "x-runner-signature": "abc" }, config: { password: "hunter2", apiKey: "sk-1" } }, "x");
    expect(JSON.parse(captured[0]!)).toMatchObject({
      headers: { authorization: "[Redacted]", "x-runner-signature": "[Redacted]" },
      config: { password: "[Redacted]", apiKey: "[Redacted]" },
    });
  });
});
