import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRunner, type StartedRunner } from "../e2e/support/runner";
import { openTestApp, request as appRequest, signUp } from "./support/app";

/**
 * The live preview: /api/projects/:id/app (start, state, log, stop) through its route handlers,
 * and the preview proxy (lib/preview/proxy-server) in front of the app the real sandbox-runner runs,
 * HTTP and WebSocket, with a save reaching the running app.
 */

const secret = randomBytes(32).toString("hex");
const PREVIEW_PORT = 20_000 + (process.pid % 20_000);
let runner: StartedRunner;
let cleanup: () => Promise<void>;
let proxy: { port: number; close(): Promise<void> };

let appRoute: typeof import("@/app/api/projects/[id]/app/route");
let logsRoute: typeof import("@/app/api/projects/[id]/app/logs/route");
let syncRoute: typeof import("@/app/api/projects/[id]/terminal/sync/route");
let projectsRoute: typeof import("@/app/api/projects/route");

beforeAll(async () => {
  runner = await startRunner(secret);
  cleanup = await openTestApp({
    RUNNER_URL: runner.url,
    RUNNER_SECRET: secret,
    PREVIEW_URL_TEMPLATE: `http://{id}.preview.localhost:${PREVIEW_PORT}`,
  });
  appRoute = await import("@/app/api/projects/[id]/app/route");
  logsRoute = await import("@/app/api/projects/[id]/app/logs/route");
  syncRoute = await import("@/app/api/projects/[id]/terminal/sync/route");
  projectsRoute = await import("@/app/api/projects/route");
  const { startPreviewServer } = await import("@/lib/preview/proxy-server");
  proxy = await startPreviewServer({ port: PREVIEW_PORT, host: "127.0.0.1" });
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await cleanup?.();
  await runner?.stop();
});

const idParams = (id: string) => ({ params: Promise.resolve({ id }) });

async function projectWithFiles(owner: { cookie: string; userId: string }, files: { path: string; content: string }[]): Promise<string> {
  const response = await projectsRoute.POST(
    appRequest("POST", "/api/projects", { cookie: owner.cookie, body: { name: `live-${Math.random().toString(36).slice(2, 10)}` } }),
    undefined,
  );
  const { project } = (await response.json()) as { project: { id: string } };
  await saveFiles(owner, project.id, files);
  return project.id;
}

async function saveFiles(owner: { userId: string }, projectId: string, files: { path: string; content: string }[]) {
  const store = await (await import("@/lib/store")).getStore();
  await store.saveFiles(owner.userId, projectId, { files, message: "save" });
}

async function appState(cookie: string, projectId: string) {
  const response = await appRoute.GET(appRequest("GET", `/api/projects/${projectId}/app`, { cookie }), idParams(projectId));
  return { status: response.status, body: await response.json() };
}

async function untilSettled(cookie: string, projectId: string) {
  for (let i = 0; i < 1200; i++) {
    const { body } = await appState(cookie, projectId);
    if (!["installing", "starting"].includes(body.app.state)) return body;
    await sleep(100);
  }
  throw new Error("the app never settled");
}

/** A request to the preview proxy as a browser on the preview's origin sends it. */
function viaProxy(
  origin: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const host = new URL(origin).host;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: PREVIEW_PORT, path, method: init.method ?? "GET", headers: { host, ...init.headers } },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

const SERVER_JS = (greeting: string) => `
const http = require("http");
const server = http.createServer((req, res) => {
  if (req.url === "/api/echo") {
    let body = ""; req.on("data", (d) => (body += d)); req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.setHeader("set-cookie", "seen=1; Domain=preview.localhost; Path=/");
      res.end(JSON.stringify({ body, cookie: req.headers.cookie ?? null }));
    });
    return;
  }
  res.setHeader("content-type", "text/html");
  res.end("<h1>${greeting}</h1>");
});
server.on("upgrade", (req, socket) => {
  const accept = require("crypto").createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  const text = Buffer.from("hot " + req.url);
  socket.end(Buffer.concat([Buffer.from([0x81, text.length]), text]));
});
server.listen(Number(process.env.PORT), process.env.HOST);
`;

describe("the live preview", () => {
  let owner: { cookie: string; userId: string };
  let projectId: string;
  let origin: string;

  beforeAll(async () => {
    owner = await signUp();
    projectId = await projectWithFiles(owner, [
      { path: "package.json", content: JSON.stringify({ name: "live", version: "1.0.0", scripts: { start: "node server.js" } }) },
      { path: "server.js", content: SERVER_JS("Hello live") },
    ]);
    const started = await appRoute.POST(appRequest("POST", `/api/projects/${projectId}/app`, { cookie: owner.cookie }), idParams(projectId));
    expect(started.status).toBe(202);
    const body = await started.json();
    expect(body.plan.label).toBe("npm run start (node server.js)");
    expect(body.url).toMatch(new RegExp(`^http://p[0-9a-f]{30}\\.preview\\.localhost:${PREVIEW_PORT}$`));
    origin = body.url;
    const settled = await untilSettled(owner.cookie, projectId);
    expect(settled.app, settled.app.logTail).toMatchObject({ state: "ready" });
    expect(settled.url).toBe(origin);
  });

  it("shows the running app on its own origin, framed only by AUTOCREA", async () => {
    const page = await viaProxy(origin, "/");
    expect(page.status).toBe(200);
    expect(page.body).toBe("<h1>Hello live</h1>");
    expect(page.headers["content-security-policy"]).toBe("frame-ancestors http://localhost:3000");
  });

  it("passes the app's API calls, without AUTOCREA's cookies, and keeps its cookies on its own origin", async () => {
    const answer = await viaProxy(origin, "/api/echo", {
      method: "POST",
      headers: { cookie: "autocrea_session=secret-session; theme=dark; __session=clerk-jwt", "content-type": "text/plain" },
      body: "add milk",
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ body: "add milk", cookie: "theme=dark" });
    expect(answer.headers["set-cookie"]).toEqual(["seen=1; Path=/"]);
  });

  it("tunnels the app's WebSocket (hot reload)", async () => {
    const message = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({
        host: "127.0.0.1",
        port: PREVIEW_PORT,
        path: "/__hmr",
        headers: {
          host: new URL(origin).host,
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": randomBytes(16).toString("base64"),
        },
      });
      req.on("upgrade", (res, socket, head) => {
        expect(res.statusCode).toBe(101);
        let bytes = head;
        const done = () => {
          // One unmasked text frame from the app: 0x81, its length, its text.
          if (bytes.length >= 2 && bytes.length >= 2 + bytes[1]!) {
            resolve(bytes.subarray(2, 2 + bytes[1]!).toString());
            socket.destroy();
          }
        };
        socket.on("data", (chunk: Buffer) => {
          bytes = Buffer.concat([bytes, chunk]);
          done();
        });
        done();
      });
      req.on("response", (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
      req.on("error", reject);
      req.end();
    });
    expect(message).toBe("hot /__hmr");
  });

  it("a preview id nobody was given answers 404, on any host", async () => {
    const unknown = await viaProxy(`http://p${"0".repeat(30)}.preview.localhost:${PREVIEW_PORT}`, "/");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("This preview link has expired");
    expect((await viaProxy(`http://localhost:${PREVIEW_PORT}`, "/")).status).toBe(404);
  });

  it("keeps the log, and another user gets 404 for the app", async () => {
    const logs = await logsRoute.GET(appRequest("GET", `/api/projects/${projectId}/app/logs?since=0`, { cookie: owner.cookie }), idParams(projectId));
    expect((await logs.json()).text).toContain("[app ready on port 3000]");
    const intruder = await signUp();
    expect((await appState(intruder.cookie, projectId)).status).toBe(404);
    const start = await appRoute.POST(appRequest("POST", `/api/projects/${projectId}/app`, { cookie: intruder.cookie }), idParams(projectId));
    expect(start.status).toBe(404);
  });

  it("a save reaches the running app: a server that does not watch its files is restarted", async () => {
    await saveFiles(owner, projectId, [{ path: "server.js", content: SERVER_JS("Hello again") }]);
    const synced = await syncRoute.POST(appRequest("POST", `/api/projects/${projectId}/terminal/sync`, { cookie: owner.cookie }), idParams(projectId));
    expect(await synced.json()).toEqual({ synced: true, written: 1, deleted: 0, app: "restarted" });
    expect((await untilSettled(owner.cookie, projectId)).app.state).toBe("ready");
    expect((await viaProxy(origin, "/")).body).toBe("<h1>Hello again</h1>");
  });

  it("stopped, the preview says the app is not running", async () => {
    const stopped = await appRoute.DELETE(appRequest("DELETE", `/api/projects/${projectId}/app`, { cookie: owner.cookie }), idParams(projectId));
    expect(stopped.status).toBe(204);
    expect((await appState(owner.cookie, projectId)).body.app.state).toBe("stopped");
    const page = await viaProxy(origin, "/");
    expect(page.status).toBe(503);
    expect(page.body).toContain("The app is not running");
  });
});

describe("starting an app that cannot run", () => {
  it("says why: nothing to run, or a dependency from outside the registry", async () => {
    const owner = await signUp();
    const nothing = await projectWithFiles(owner, [{ path: "index.html", content: "<h1>static</h1>" }]);
    const none = await appRoute.POST(appRequest("POST", `/api/projects/${nothing}/app`, { cookie: owner.cookie }), idParams(nothing));
    expect(none.status).toBe(409);
    expect((await none.json()).message).toMatch(/no "dev" or "start" script/);
    expect((await appState(owner.cookie, nothing)).body.plan).toBeNull();

    const fromGit = await projectWithFiles(owner, [
      { path: "package.json", content: JSON.stringify({ scripts: { start: "node x.js" }, dependencies: { tool: "github:someone/tool" } }) },
    ]);
    const refused = await appRoute.POST(appRequest("POST", `/api/projects/${fromGit}/app`, { cookie: owner.cookie }), idParams(fromGit));
    expect(refused.status).toBe(422);
    expect((await refused.json()).message).toMatch(/tool \(github:someone\/tool\) from outside the package registry/);
  });

  it("an app that crashes at start is reported with its last lines", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, [
      { path: "package.json", content: JSON.stringify({ scripts: { start: "node crash.js" } }) },
      { path: "crash.js", content: 'console.error("Error: DATABASE_URL is not set"); process.exit(1);' },
    ]);
    await appRoute.POST(appRequest("POST", `/api/projects/${projectId}/app`, { cookie: owner.cookie }), idParams(projectId));
    const settled = await untilSettled(owner.cookie, projectId);
    expect(settled.app.state).toBe("crashed");
    expect(settled.app.message).toMatch(/exited \(exit code 1\) before it listened on port 3000/);
    expect(settled.app.logTail).toContain("DATABASE_URL is not set");
  });
});
