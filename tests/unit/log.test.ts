import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logSettings } from "@/lib/env";
import {
  annotateLogContext,
  captureLogsForTests,
  currentRequestId,
  isValidRequestId,
  log,
  prettyLine,
  requestIdFrom,
  withLogContext,
  type CapturedLogs,
} from "@/lib/log";

let logs: CapturedLogs;
beforeEach(() => {
  logs = captureLogsForTests("debug");
});
afterEach(() => logs.restore());

describe("the logger", () => {
  it("writes one JSON line per entry with level, ISO time, service and message", () => {
    log.info({ port: 3001 }, "listening");
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]!.endsWith("\n")).toBe(true);
    expect(logs.entries()[0]).toMatchObject({ level: "info", service: "app", port: 3001, msg: "listening" });
    expect(logs.entries()[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("redacts secrets itself: authorization and cookie headers, API keys, tokens, passwords, secrets, signatures", () => {
    log.warn(
      {
        headers: { authorization: "Bearer sk-live-1", cookie: "session=abc", "stripe-signature": "t=1,v1=sig", accept: "*/*" },
        request: { headers: { "x-api-key": "key-in-header", "content-type": "application/json" } },
        apiKey: "sk-top-level",
        config: { apiKey: "sk-nested", model: "gpt" },
        password: "hunter2",
        user: { email: "a@example.com", password: "hunter3" },
        token: "tok-1",
        deploy: { token: "tok-2", accessToken: "tok-3" },
        stripe: { secret: "whsec_1" },
        provider: "openai",
      },
      "something to look at",
    );
    const [entry] = logs.entries();
    expect(entry).toMatchObject({
      headers: { authorization: "[Redacted]", cookie: "[Redacted]", "stripe-signature": "[Redacted]", accept: "*/*" },
      request: { headers: { "x-api-key": "[Redacted]", "content-type": "application/json" } },
      apiKey: "[Redacted]",
      config: { apiKey: "[Redacted]", model: "gpt" },
      password: "[Redacted]",
      user: { email: "a@example.com", password: "[Redacted]" },
      token: "[Redacted]",
      deploy: { token: "[Redacted]", accessToken: "[Redacted]" },
      stripe: { secret: "[Redacted]" },
      provider: "openai",
    });
    for (const secret of ["sk-live-1", "session=abc", "v1=sig", "key-in-header", "sk-top-level", "sk-nested", "hunter", "tok-", "whsec_1"]) {
      expect(logs.lines[0]).not.toContain(secret);
    }
  });

  it("logs an error's type, message and stack under err", () => {
    log.error({ err: new TypeError("bad input") }, "it failed");
    const err = logs.entries()[0]!.err as Record<string, unknown>;
    expect(err).toMatchObject({ type: "TypeError", message: "bad input" });
    expect(String(err.stack)).toContain("log.test.ts");
  });

  it("adds the request's context to every entry made within it, including work it left running", async () => {
    log.info("outside");
    let later: Promise<void> | undefined;
    await withLogContext({ requestId: "req-1" }, async () => {
      expect(currentRequestId()).toBe("req-1");
      log.info("before sign-in");
      annotateLogContext({ userId: "user-9" });
      await Promise.resolve();
      log.info("deep inside");
      later = new Promise<void>((resolve) =>
        setTimeout(() => {
          annotateLogContext({ runId: "run-3" });
          log.warn("after the response");
          resolve();
        }, 5),
      );
    });
    await later;
    expect(currentRequestId()).toBeUndefined();
    annotateLogContext({ userId: "nobody" }); // outside a request: nothing to annotate
    log.info("outside again");
    const entries = logs.entries().map(({ msg, requestId, userId, runId }) => ({ msg, requestId, userId, runId }));
    expect(entries).toEqual([
      { msg: "outside", requestId: undefined, userId: undefined, runId: undefined },
      { msg: "before sign-in", requestId: "req-1", userId: undefined, runId: undefined },
      { msg: "deep inside", requestId: "req-1", userId: "user-9", runId: undefined },
      { msg: "after the response", requestId: "req-1", userId: "user-9", runId: "run-3" },
      { msg: "outside again", requestId: undefined, userId: undefined, runId: undefined },
    ]);
  });

  it("keeps entries below the level out", () => {
    logs.restore();
    logs = captureLogsForTests("warn");
    log.info("quiet");
    log.debug("quieter");
    log.warn("loud");
    expect(logs.entries().map((e) => e.msg)).toEqual(["loud"]);
  });
});

describe("request ids", () => {
  it("keeps a valid one, replaces anything else with a UUID", () => {
    expect(requestIdFrom("abc-123")).toBe("abc-123");
    expect(requestIdFrom("Root=1-67890;x")).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(null)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom("")).toMatch(/^[0-9a-f-]{36}$/);
    expect(isValidRequestId("a".repeat(128))).toBe(true);
    expect(isValidRequestId("a".repeat(129))).toBe(false);
    expect(isValidRequestId("line\nbreak")).toBe(false);
  });
});

describe("settings and development output", () => {
  it("reads LOG_LEVEL and LOG_FORMAT leniently", () => {
    expect(logSettings({ NODE_ENV: "production" })).toEqual({ level: "info", format: "json" });
    expect(logSettings({ NODE_ENV: "production", LOG_LEVEL: "debug" })).toEqual({ level: "debug", format: "json" });
    expect(logSettings({ NODE_ENV: "production", LOG_LEVEL: "loud" })).toEqual({ level: "info", format: "json" });
    expect(logSettings({ NODE_ENV: "development" })).toEqual({ level: "info", format: "pretty" });
    expect(logSettings({ NODE_ENV: "development", LOG_FORMAT: "json" })).toEqual({ level: "info", format: "json" });
    expect(logSettings({ VITEST: "true" })).toEqual({ level: "silent", format: "json" });
  });

  it("prints an entry as one readable line, with its error's stack below", () => {
    const line = JSON.stringify({
      level: "warn",
      time: "2026-01-02T14:02:03.456Z",
      service: "app",
      pid: 1,
      hostname: "h",
      requestId: "r-1",
      status: 502,
      msg: "request failed",
    });
    expect(prettyLine(line)).toBe("14:02:03.456 WARN  request failed  requestId=r-1 status=502\n");
    const withError = prettyLine(JSON.stringify({ level: "error", time: "2026-01-02T14:02:03.456Z", msg: "boom", err: { stack: "Error: x\n    at y" } }));
    expect(withError).toBe("14:02:03.456 ERROR boom\nError: x\n    at y\n");
    expect(prettyLine("not json\n")).toBe("not json\n");
  });
});
