import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { APP_TICKET_HEADER, issueTicket } from "../src/auth/signing";
import { startTestRunner, type TestRunner } from "./server-support";

vi.hoisted(() => {
  process.env.RUNNER_SESSION_UID_BASE = "64801";
});

/**
 * Sessions with the package gateway and an app, through the runner's HTTP API: commands install
 * real packages, the app starts after its install, its HTTP and WebSocket are reached through the
 * session (signed requests; a ticket for the upgrade), and it is gone with the session.
 */

let runner: TestRunner;

beforeAll(async () => {
  runner = await startTestRunner({ gateway: true });
});
afterAll(async () => {
  await runner?.close();
});

const SERVER_JS = `
const http = require("http");
const pad = require("left-pad");
const server = http.createServer((req, res) => {
  if (req.url === "/api/todos" && req.method === "POST") {
    let body = ""; req.on("data", (d) => (body += d)); req.on("end", () => { res.setHeader("content-type", "application/json"); res.end(JSON.stringify({ saved: JSON.parse(body) })); });
    return;
  }
  res.end("todo " + pad("1", 3, "0") + " at " + req.url);
});
server.on("upgrade", (req, socket) => {
  const accept = require("crypto").createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  const text = Buffer.from("reload " + (req.headers["${APP_TICKET_HEADER}"] ? "leaked" : "clean"));
  socket.end(Buffer.concat([Buffer.from([0x81, text.length]), text]));
});
server.listen(Number(process.env.PORT), "127.0.0.1");
`;

async function sessionWithApp(userId = "user-a"): Promise<string> {
  const created = await runner.call("POST", "/v1/sessions", { userId });
  expect(created.status).toBe(201);
  const id = created.json.id as string;
  const written = await runner.call("PUT", `/v1/sessions/${id}/files`, {
    files: [
      { path: "package.json", content: JSON.stringify({ name: "todo", version: "1.0.0", dependencies: { "left-pad": "1.3.0" }, scripts: { start: "node server.js" } }) },
      { path: "server.js", content: SERVER_JS },
    ],
  });
  expect(written.status).toBe(200);
  return id;
}

async function untilSettled(id: string): Promise<{ state: string; message: string | null; logTail: string }> {
  for (let i = 0; i < 1200; i++) {
    const { json } = await runner.call("GET", `/v1/sessions/${id}/app`);
    if (!["installing", "starting"].includes(json.state)) return json;
    await sleep(100);
  }
  throw new Error("the app never settled");
}

function upgrade(id: string, headers: Record<string, string>): Promise<{ status: number; message?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${runner.url.replace("http", "ws")}/v1/sessions/${id}/app/http/__hmr?x=1`, { headers });
    ws.on("message", (data) => resolve({ status: 101, message: String(data) }));
    ws.on("unexpected-response", (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on("error", reject);
  });
}

describe("a session with the package gateway", () => {
  it("a command installs packages through the gateway (the tester's npm install)", async () => {
    const id = await sessionWithApp();
    const result = await runner.call("POST", `/v1/sessions/${id}/commands`, {
      command: "npm install && node -e 'console.log(require(\"left-pad\")(\"5\", 2, \"0\"))'",
      limits: { wallMs: 180_000, cpuMs: 120_000, memoryBytes: 2048 * 1024 * 1024, pids: 512 },
    });
    expect(result.status).toBe(200);
    expect(result.json.stderr).not.toMatch(/ERR!/);
    expect(result.json.status).toBe("OK");
    expect(result.json.stdout).toContain("05");
    expect((await runner.call("GET", "/v1/health")).json).toEqual({ status: "ok", gateway: "ok", workspaceQuota: "on" });
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("session commands may ask for an install's limits, and no more", async () => {
    const id = await sessionWithApp();
    const tooMuch = await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "true", limits: { wallMs: 3_600_000 } });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.json.message).toMatch(/wallMs must be at most 900000/);
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });
});

describe("a session on a runner without the gateway", () => {
  it("npm says at once that nothing can be fetched, instead of retrying for a minute", async () => {
    const offline = await startTestRunner({ gateway: false });
    try {
      const { id } = (await offline.call("POST", "/v1/sessions", { userId: "user-a" })).json;
      const result = await offline.call("POST", `/v1/sessions/${id}/commands`, {
        command: "npm install left-pad",
        limits: { wallMs: 120_000, cpuMs: 60_000, memoryBytes: 1024 * 1024 * 1024 },
      });
      expect(result.json.status).toBe("RE");
      expect(result.json.stderr).toMatch(/ENOTCACHED/);
      expect((await offline.call("GET", "/v1/health")).json.gateway).toBe("off");
    } finally {
      await offline.close();
    }
  });
});

describe("a session's app through the runner", () => {
  let id: string;

  beforeAll(async () => {
    id = await sessionWithApp();
    const started = await runner.call("PUT", `/v1/sessions/${id}/app`, { command: "npm start", port: 3000, install: "npm install" });
    expect(started.status).toBe(202);
    expect(started.json.state).toBe("installing");
    const settled = await untilSettled(id);
    expect(settled, settled.logTail).toMatchObject({ state: "ready" });
  });

  it("answers HTTP through the session, body and query included", async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const path = `/v1/sessions/${id}/app/http/list?done=1`;
      const req = httpRequest(`${runner.url}${path}`, { headers: runner.signed("GET", path) }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
    expect(text).toBe("todo 001 at /list?done=1");
    const saved = await runner.call("POST", `/v1/sessions/${id}/app/http/api/todos`, { title: "milk" });
    expect(saved.json).toEqual({ saved: { title: "milk" } });
  });

  it("refuses an unsigned request to the app", async () => {
    const answer = await runner.raw("GET", `/v1/sessions/${id}/app/http/`, undefined, {});
    expect(answer.status).toBe(401);
  });

  it("passes a WebSocket upgrade with a ticket for the session's user, without the ticket", async () => {
    const ok = await upgrade(id, { [APP_TICKET_HEADER]: issueTicket(runner.secret, { sessionId: id, userId: "user-a" }) });
    expect(ok).toEqual({ status: 101, message: "reload clean" });
    expect((await upgrade(id, {})).status).toBe(401);
    expect((await upgrade(id, { [APP_TICKET_HEADER]: issueTicket(runner.secret, { sessionId: id, userId: "user-b" }) })).status).toBe(403);
    const forged = issueTicket(randomBytes(32).toString("hex"), { sessionId: id, userId: "user-a" });
    expect((await upgrade(id, { [APP_TICKET_HEADER]: forged })).status).toBe(401);
  });

  it("keeps the log of the install and the app", async () => {
    const log = await runner.call("GET", `/v1/sessions/${id}/app/logs?since=0`);
    expect(log.json.text).toContain("$ /bin/sh -c npm install");
    expect(log.json.text).toContain("[app ready on port 3000]");
    const later = await runner.call("GET", `/v1/sessions/${id}/app/logs?since=${log.json.next}`);
    expect(later.json.text).toBe("");
  });

  it("refuses a bad start request with a reason", async () => {
    const lowPort = await runner.call("PUT", `/v1/sessions/${id}/app`, { command: "npm start", port: 80 });
    expect(lowPort.status).toBe(400);
    const both = await runner.call("PUT", `/v1/sessions/${id}/app`, { command: "npm start", argv: ["node"], port: 3000 });
    expect(both.status).toBe(400);
    const badEnv = await runner.call("PUT", `/v1/sessions/${id}/app`, { command: "npm start", port: 3000, env: { "A=B": "x" } });
    expect(badEnv.status).toBe(400);
  });

  it("stops: the app answers 409 until started again, and a session delete leaves nothing", async () => {
    expect((await runner.call("DELETE", `/v1/sessions/${id}/app`)).status).toBe(204);
    expect((await runner.call("GET", `/v1/sessions/${id}/app`)).json.state).toBe("stopped");
    const refused = await runner.call("GET", `/v1/sessions/${id}/app/http/`);
    expect(refused.status).toBe(409);
    expect(refused.json.message).toMatch(/The app is stopped/);

    await runner.call("PUT", `/v1/sessions/${id}/app`, { command: "npm start", port: 3000, install: "npm install" });
    expect((await untilSettled(id)).state).toBe("ready");
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
    expect((await runner.call("GET", `/v1/sessions/${id}/app`)).status).toBe(404);
  });
});
