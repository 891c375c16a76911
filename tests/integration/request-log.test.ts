import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as getProject } from "@/app/api/projects/[id]/route";
import { GET as me } from "@/app/api/me/route";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { captureLogsForTests, type CapturedLogs } from "@/lib/log";
import { authed, request, signUp, withTestApp } from "./support/app";

/**
 * Request ids and the request log (lib/log.ts, lib/http/errors.ts `route`): every API response
 * carries the id in `x-request-id`, an error body repeats it as `requestId`, and the server's log
 * entries about the request carry the same id.
 */

withTestApp();

let logs: CapturedLogs;
beforeEach(() => {
  logs = captureLogsForTests("debug");
});
afterEach(() => logs.restore());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const params = (id: string) => ({ params: Promise.resolve({ id }) });
const requestLines = () => logs.entries().filter((entry) => entry.msg === "request" || entry.msg === "request failed");

describe("request ids", () => {
  it("puts the request id on an error response, header and body, and on the log line with route, status, duration and user", async () => {
    const { cookie, userId } = await signUp();
    logs.lines.length = 0;
    const response = await getProject(authed("GET", "/api/projects/no-such-project", cookie), params("no-such-project"));
    expect(response.status).toBe(404);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(UUID);
    expect(await response.json()).toEqual({ error: "not_found", message: "Project not found.", requestId });

    const lines = requestLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      service: "app",
      requestId,
      userId,
      method: "GET",
      route: "/api/projects/no-such-project",
      status: 404,
      error: "not_found",
      msg: "request",
    });
    expect(lines[0]!.durationMs).toEqual(expect.any(Number));
    expect(typeof lines[0]!.time).toBe("string");
  });

  it("keeps a valid incoming x-request-id and replaces an invalid one", async () => {
    const { cookie } = await signUp();
    logs.lines.length = 0;
    const sent = async (id: string) => {
      const response = await me(authed("GET", "/api/me", cookie, undefined, { "x-request-id": id }), undefined);
      expect(response.status).toBe(200);
      return response.headers.get("x-request-id");
    };
    for (const valid of ["abc-123", "0f8c2a1e-7d7b-4c55-9f3e-2a1b3c4d5e6f", "lb:iad1::x_y.z", "x".repeat(128)]) {
      expect(await sent(valid)).toBe(valid);
    }
    for (const invalid of ["x".repeat(129), "two words", "<script>", "id;drop", "ïd", "a/b"]) {
      const replaced = await sent(invalid);
      expect(replaced).toMatch(UUID);
    }
    // Each request's line carries the id it was answered with.
    const ids = requestLines().map((line) => line.requestId);
    expect(ids.slice(0, 4)).toEqual(["abc-123", "0f8c2a1e-7d7b-4c55-9f3e-2a1b3c4d5e6f", "lb:iad1::x_y.z", "x".repeat(128)]);
    for (const id of ids.slice(4)) expect(id).toMatch(UUID);
  });

  it("gives an error without a signed-in user the id too, and logs it without a user", async () => {
    const response = await me(request("GET", "/api/me", { headers: { "x-request-id": "anon-1" } }), undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get("x-request-id")).toBe("anon-1");
    expect(await response.json()).toMatchObject({ error: "unauthorized", requestId: "anon-1" });
    const [line] = requestLines();
    expect(line).toMatchObject({ requestId: "anon-1", status: 401, route: "/api/me", error: "unauthorized" });
    expect(line).not.toHaveProperty("userId");
  });

  it("logs an unexpected error with its stack; the response has the sentence and the id, never the stack", async () => {
    const { cookie, userId } = await signUp();
    logs.lines.length = 0;
    const failing = route(async (req: Request) => {
      await requireUser(req);
      throw new Error("the ledger table is locked (internal detail)");
    });
    const response = await failing(authed("POST", "/api/example", cookie, {}, { "x-request-id": "boom-1" }), undefined);
    expect(response.status).toBe(500);
    expect(response.headers.get("x-request-id")).toBe("boom-1");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: "internal_error",
      message: "Something went wrong on our side. Please try again.",
      requestId: "boom-1",
    });
    expect(text).not.toContain("ledger");
    expect(text).not.toMatch(/\bat\s|\.ts:\d/);

    const unhandled = logs.entries().find((entry) => entry.msg === "unhandled route error");
    expect(unhandled).toMatchObject({ level: "error", requestId: "boom-1", userId });
    const err = unhandled!.err as { type: string; message: string; stack: string };
    expect(err.message).toBe("the ledger table is locked (internal detail)");
    expect(err.stack).toContain("request-log.test.ts");
    expect(requestLines()).toEqual([
      expect.objectContaining({ level: "warn", requestId: "boom-1", userId, method: "POST", route: "/api/example", status: 500, error: "internal_error" }),
    ]);
  });

  it("puts the id on a response whose headers cannot be changed", async () => {
    const fetched = await fetch("data:text/plain,hello");
    const passThrough = route(async () => fetched);
    const response = await passThrough(request("GET", "/api/pass-through", { headers: { "x-request-id": "copy-1" } }), undefined);
    expect(response.headers.get("x-request-id")).toBe("copy-1");
    expect(await response.text()).toBe("hello");
  });
});
