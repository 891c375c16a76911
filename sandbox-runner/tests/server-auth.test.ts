import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest, verifyTicket } from "../src/auth/signing";
import { startTestRunner, TerminalClient, type TestRunner } from "./server-support";

let runner: TestRunner;
beforeAll(async () => {
  runner = await startTestRunner();
});
afterAll(() => runner?.close());

describe("request signatures", () => {
  it("answers a correctly signed request", async () => {
    const { status, json } = await runner.call("GET", "/v1/runtimes");
    expect(status).toBe(200);
    expect(Array.isArray(json)).toBe(true);
    expect(json.map((r: { language: string }) => r.language)).toContain("python");
  });

  it("refuses an unsigned request", async () => {
    const { status, json } = await runner.raw("GET", "/v1/runtimes", undefined, {});
    expect(status).toBe(401);
    expect(json).toMatchObject({ error: "unauthorized" });
    expect(json.message).toMatch(/not signed/);
  });

  it("leaves only the health check open", async () => {
    const { status, json } = await runner.raw("GET", "/v1/health", undefined, {});
    expect(status).toBe(200);
    expect(json).toEqual({ status: "ok", gateway: "off", workspaceQuota: "on" });
  });

  it("refuses a signature made with another secret", async () => {
    const headers = signRequest({ secret: "x".repeat(64), method: "GET", pathWithQuery: "/v1/runtimes" });
    const { status, json } = await runner.raw("GET", "/v1/runtimes", undefined, headers);
    expect(status).toBe(401);
    expect(json.message).toMatch(/does not match/);
  });

  it("refuses timestamps more than 60 s old or ahead", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 120, now + 120]) {
      const headers = signRequest({ secret: runner.secret, method: "GET", pathWithQuery: "/v1/runtimes", timestamp });
      const { status, json } = await runner.raw("GET", "/v1/runtimes", undefined, headers);
      expect(status).toBe(401);
      expect(json.message).toMatch(/timestamp/);
    }
  });

  it("accepts a signed request only once (replay)", async () => {
    const body = JSON.stringify({ userId: "user-replay" });
    const headers = { ...runner.signed("POST", "/v1/sessions", body), "content-type": "application/json" };
    const first = await runner.raw("POST", "/v1/sessions", body, headers);
    expect(first.status).toBe(201);
    const second = await runner.raw("POST", "/v1/sessions", body, headers);
    expect(second.status).toBe(401);
    expect(second.json.message).toMatch(/already received/);
  });

  it("refuses a body other than the one signed", async () => {
    const headers = { ...runner.signed("POST", "/v1/sessions", JSON.stringify({ userId: "a" })), "content-type": "application/json" };
    const { status } = await runner.raw("POST", "/v1/sessions", JSON.stringify({ userId: "b" }), headers);
    expect(status).toBe(401);
  });

  it("refuses a signature for another path or method", async () => {
    const forOtherPath = runner.signed("GET", "/v1/health");
    expect((await runner.raw("GET", "/v1/runtimes", undefined, forOtherPath)).status).toBe(401);
    const forOtherMethod = runner.signed("DELETE", "/v1/runtimes");
    expect((await runner.raw("GET", "/v1/runtimes", undefined, forOtherMethod)).status).toBe(401);
  });
});

describe("terminal tickets", () => {
  let sessionId: string;
  let otherSessionId: string;
  beforeAll(async () => {
    sessionId = (await runner.call("POST", "/v1/sessions", { userId: "alice" })).json.id;
    otherSessionId = (await runner.call("POST", "/v1/sessions", { userId: "alice" })).json.id;
  });

  async function upgrade(url: string): Promise<string> {
    const client = new TerminalClient(url);
    try {
      await client.opened();
      return "open";
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.close();
    }
  }

  it("opens the terminal with a fresh ticket for this session and user", async () => {
    expect(await upgrade(runner.ptyUrl(sessionId, runner.ticket(sessionId, "alice")))).toBe("open");
  });

  it("refuses a ticket for another session", async () => {
    expect(await upgrade(runner.ptyUrl(sessionId, runner.ticket(otherSessionId, "alice")))).toBe("HTTP 401");
  });

  it("refuses a ticket for another user", async () => {
    expect(await upgrade(runner.ptyUrl(sessionId, runner.ticket(sessionId, "mallory")))).toBe("HTTP 403");
  });

  it("refuses an expired ticket", async () => {
    const ticket = runner.ticket(sessionId, "alice", { now: Math.floor(Date.now() / 1000) - 120 });
    expect(verifyTicket(runner.secret, ticket).ok).toBe(false);
    expect(await upgrade(runner.ptyUrl(sessionId, ticket))).toBe("HTTP 401");
  });

  it("refuses a tampered ticket, a missing one, and a second use of one", async () => {
    const ticket = runner.ticket(sessionId, "alice");
    const [payload, mac] = ticket.split(".");
    const forged = Buffer.from(JSON.stringify({ sessionId, userId: "alice", exp: 9_999_999_999, nonce: "n" })).toString("base64url");
    expect(payload).not.toBe(forged);
    expect(await upgrade(runner.ptyUrl(sessionId, `${forged}.${mac}`))).toBe("HTTP 401");
    expect(await upgrade(runner.ptyUrl(sessionId, ""))).toBe("HTTP 401");
    expect(await upgrade(runner.ptyUrl(sessionId, ticket))).toBe("open");
    expect(await upgrade(runner.ptyUrl(sessionId, ticket))).toBe("HTTP 401");
  });
});
