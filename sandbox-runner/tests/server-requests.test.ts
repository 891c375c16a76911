import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LIMITS, SESSION_COMMAND_MAX_LIMITS } from "../src/limits";
import { postLargeBody, startTestRunner, type TestRunner } from "./server-support";

let runner: TestRunner;
let sessionId: string;
beforeAll(async () => {
  runner = await startTestRunner({ maxBodyBytes: 16 * 1024 * 1024 });
  sessionId = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
});
afterAll(() => runner?.close());

const hello = { path: "main.py", content: "print('hi')" };

describe("execute", () => {
  it("runs a program (the route delegates to execute())", async () => {
    const { status, json } = await runner.call("POST", "/v1/execute", { language: "python", files: [hello] });
    expect(status).toBe(200);
    expect(json.run).toMatchObject({ status: "OK", stdout: "hi\n", exitCode: 0 });
  });

  it("refuses an unknown language with 400", async () => {
    const { status, json } = await runner.call("POST", "/v1/execute", { language: "cobol-85", files: [hello] });
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: "unknown_language" });
  });

  it("refuses too many files", async () => {
    const files = Array.from({ length: 65 }, (_, i) => ({ path: `f${i}.py`, content: "" }));
    const { status, json } = await runner.call("POST", "/v1/execute", { language: "python", files });
    expect(status).toBe(400);
    expect(json.message).toMatch(/at most 64 files/);
  });

  it("refuses a path that climbs out with ..", async () => {
    const { status, json } = await runner.call("POST", "/v1/execute", {
      language: "python",
      files: [{ path: "../../etc/cron.d/x", content: "" }],
    });
    expect(status).toBe(400);
    expect(json.message).toMatch(/\.\./);
  });

  it("refuses limits above the server's maximum", async () => {
    const { status, json } = await runner.call("POST", "/v1/execute", {
      language: "python",
      files: [hello],
      limits: { memoryBytes: MAX_LIMITS.memoryBytes * 2 },
    });
    expect(status).toBe(400);
    expect(json.message).toMatch(/limits\.memoryBytes/);
  });

  it("refuses malformed JSON", async () => {
    const body = '{"language": "python", files: [';
    const headers = { ...runner.signed("POST", "/v1/execute", body), "content-type": "application/json" };
    const { status, json } = await runner.raw("POST", "/v1/execute", body, headers);
    expect(status).toBe(400);
    expect(json).toEqual({ error: "invalid_json", message: "Request body is not valid JSON." });
  });
});

describe("oversized bodies", () => {
  const FIFTY_MB = 50 * 1024 * 1024;

  it("answers 413 to a declared 50 MB body before reading it", async () => {
    const headers = runner.signed("POST", "/v1/execute", "irrelevant: the length is refused first");
    const { status, json, bytesSent } = await postLargeBody(`${runner.url}/v1/execute`, headers, FIFTY_MB);
    expect(status).toBe(413);
    expect(json).toMatchObject({ error: "payload_too_large" });
    expect(bytesSent).toBeLessThan(FIFTY_MB);
  });

  it("answers 413 to a chunked body once it crosses the limit", async () => {
    const headers = runner.signed("POST", "/v1/execute", "irrelevant");
    const { status, bytesSent } = await postLargeBody(`${runner.url}/v1/execute`, headers, FIFTY_MB, { chunked: true });
    expect(status).toBe(413);
    expect(bytesSent).toBeLessThan(FIFTY_MB);
  });

  it("still serves requests afterwards", async () => {
    expect((await runner.call("GET", "/v1/runtimes")).status).toBe(200);
  });
});

describe("routing and session input", () => {
  it("answers 404 for unknown routes and 405 for wrong methods", async () => {
    expect((await runner.call("GET", "/v1/nope")).status).toBe(404);
    expect((await runner.call("GET", "/")).json).toMatchObject({ error: "not_found" });
    const wrongMethod = await runner.call("DELETE", "/v1/execute");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json).toMatchObject({ error: "method_not_allowed" });
  });

  it("answers 404 for a session that does not exist", async () => {
    const { status } = await runner.call("POST", "/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA/commands", { command: "true" });
    expect(status).toBe(404);
  });

  it("validates session bodies", async () => {
    expect((await runner.call("POST", "/v1/sessions", {})).status).toBe(400);
    const both = await runner.call("POST", `/v1/sessions/${sessionId}/commands`, { command: "true", argv: ["true"] });
    expect(both.status).toBe(400);
    expect(both.json.message).toMatch(/exactly one of command or argv/);
    const unknownKey = await runner.call("PUT", `/v1/sessions/${sessionId}/files`, { files: [], extra: 1 });
    expect(unknownKey.status).toBe(400);
    const tooHigh = await runner.call("POST", `/v1/sessions/${sessionId}/commands`, {
      command: "true",
      limits: { wallMs: SESSION_COMMAND_MAX_LIMITS.wallMs + 1 },
    });
    expect(tooHigh.status).toBe(400);
  });

  it("refuses session file paths that leave the workspace", async () => {
    for (const path of ["../x", "/etc/passwd", "a/../../b", "a\0b"]) {
      const { status, json } = await runner.call("PUT", `/v1/sessions/${sessionId}/files`, {
        files: [{ path, content: "x" }],
      });
      expect(status, path).toBe(400);
      expect(json.error).toBe("invalid_path");
    }
    const deletes = await runner.call("PUT", `/v1/sessions/${sessionId}/files`, { files: [], deletes: ["../.."] });
    expect(deletes.status).toBe(400);
  });

  it("refuses a body on a route that takes none", async () => {
    const path = `/v1/sessions/${sessionId}`;
    const { status, json } = await runner.call("DELETE", path, { a: 1 });
    expect(status).toBe(400);
    expect(json.message).toMatch(/takes no body/);
  });
});
