import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadRunnerConfig } from "../src/config";
import { loadGatewayConfig } from "../src/gateway/config";
import { PackageGateway } from "../src/gateway/gateway";
import { leakedCgroups } from "../src/sandbox/cgroup";
import { createWorkspace, removeWorkspace, writeWorkspaceFile, type Workspace } from "../src/sandbox/workspace";
import { AppProcess, type AppState } from "../src/sessions/app-process";
import { proxyHttp, proxyUpgrade } from "../src/sessions/app-proxy";

/**
 * A session's app as a long-running sandboxed process: install when the manifest changed, start,
 * ready when its port answers, reached only through its link; crashes, apps that never listen and
 * stops leave nothing running.
 */
const config = loadRunnerConfig({
  ...process.env,
  RUNNER_SANDBOX_UID: "64125",
  RUNNER_SANDBOX_GID: "64125",
  RUNNER_CGROUP_PARENT: "autocrea-sandbox-apps",
});

let scratch: string;
let gateway: PackageGateway;
let door: string;
const workspaces: Workspace[] = [];
const apps: AppProcess[] = [];

function appIn(files: Record<string, string>, options: { startTimeoutMs?: number; withGateway?: boolean } = {}): { app: AppProcess; workspace: Workspace } {
  const workspace = createWorkspace(config);
  workspaces.push(workspace);
  for (const [file, content] of Object.entries(files)) writeWorkspaceFile(workspace, file, content, config);
  const app = new AppProcess({
    workspace: workspace.dir,
    config,
    gatewaySocket: options.withGateway ? door : undefined,
    linkDir: path.join(scratch, "links", path.basename(workspace.dir)),
    startTimeoutMs: options.startTimeoutMs,
  });
  apps.push(app);
  return { app, workspace };
}

async function until(app: AppProcess, states: AppState[], timeoutMs = 120_000): Promise<AppState> {
  const deadline = Date.now() + timeoutMs;
  while (!states.includes(app.status().state)) {
    if (Date.now() > deadline) throw new Error(`app stayed ${app.status().state}; log:\n${app.logSince(0).text}`);
    await sleep(50);
  }
  return app.status().state;
}

function get(socketPath: string, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, path: pathname, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Host processes running as the test's sandbox uid (there must be none once an app is stopped). */
function processesOfSandboxUid(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      if (Number(uid) === config.sandboxUid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function nothingLeft(): Promise<void> {
  for (let i = 0; i < 100 && processesOfSandboxUid().length > 0; i++) await sleep(50);
  expect(processesOfSandboxUid()).toEqual([]);
  expect(leakedCgroups(config.cgroupParent)).toEqual([]);
}

const NODE_SERVER = `
const http = require("http");
const server = http.createServer((req, res) => {
  if (req.url === "/api/echo" && req.method === "POST") {
    let body = ""; req.on("data", (d) => (body += d)); req.on("end", () => res.end(JSON.stringify({ got: body, host: req.headers.host, cookie: req.headers.cookie ?? null })));
    return;
  }
  res.setHeader("content-type", "text/plain");
  res.end("hello from " + process.env.PORT);
});
server.on("upgrade", (req, socket) => {
  const key = req.headers["sec-websocket-key"];
  const accept = require("crypto").createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  // One unmasked text frame, then close.
  const text = Buffer.from("hi over ws");
  socket.end(Buffer.concat([Buffer.from([0x81, text.length]), text]));
});
server.listen(Number(process.env.PORT), "127.0.0.1");
`;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "autocrea-app-test-"));
  chmodSync(scratch, 0o755);
  gateway = new PackageGateway(
    await loadGatewayConfig(path.join(scratch, "state"), { ...process.env, RUNNER_GATEWAY_CACHE_DIR: path.join(scratch, "cache") }),
  );
  await gateway.start();
  door = await gateway.openDoor("app-test-session-00000", config.sandboxUid, config.sandboxGid);
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await gateway?.close();
  for (const workspace of workspaces) removeWorkspace(workspace);
  rmSync(scratch, { recursive: true, force: true });
});

describe("a session's app", () => {
  it("starts, is ready once its port answers, is reached through its link only, and stops leaving nothing", async () => {
    const { app } = appIn({ "server.js": NODE_SERVER });
    await app.start({ argv: ["node", "server.js"], port: 3000 });
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
    expect(await get(app.linkSocket, "/")).toEqual({ status: 200, body: "hello from 3000" });
    // The link socket is root's alone.
    const link = statSync(app.linkSocket);
    expect([link.uid, link.mode & 0o077]).toEqual([0, 0]);
    await app.stop();
    expect(app.status().state).toBe("stopped");
    expect(existsSync(app.linkSocket)).toBe(false);
    await nothingLeft();
  });

  it("restarts asked for at once run one after the other: one app runs, reachable, and stopping it leaves nothing", async () => {
    const { app } = appIn({ "server.js": NODE_SERVER });
    await app.start({ argv: ["node", "server.js"], port: 3000 });
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
    // A save's restart and the preview's own, together, twice over.
    await Promise.all([1, 2, 3].map(() => app.start({ argv: ["node", "server.js"], port: 3000 })));
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
    expect(await get(app.linkSocket, "/")).toEqual({ status: 200, body: "hello from 3000" });
    await app.stop();
    await nothingLeft();
  });

  it("installs packages through the gateway first, and again only when the manifest changes", async () => {
    const server = `const pad = require("left-pad"); require("http").createServer((q, s) => s.end(pad("7", 3, "0"))).listen(Number(process.env.PORT), "127.0.0.1");`;
    const manifest = { name: "t", version: "1.0.0", dependencies: { "left-pad": "1.3.0" } };
    const { app, workspace } = appIn({ "server.js": server, "package.json": JSON.stringify(manifest) }, { withGateway: true });
    await app.start({ argv: ["node", "server.js"], port: 5173, install: ["npm", "install"] });
    expect(app.status().state).toBe("installing");
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
    expect((await get(app.linkSocket, "/")).body).toBe("007");

    await app.start({ argv: ["node", "server.js"], port: 5173, install: ["npm", "install"] });
    expect(app.status().state).toBe("starting");
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
    expect(app.logSince(0).text.match(/\$ npm install/g)).toHaveLength(1);

    writeWorkspaceFile(workspace, "package.json", JSON.stringify({ ...manifest, description: "changed" }), config);
    await app.start({ argv: ["node", "server.js"], port: 5173, install: ["npm", "install"] });
    expect(app.status().state).toBe("installing");
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
    await app.stop();
    await nothingLeft();
  });

  it("an install that fails ends `failed` with a message, and the app is not started", async () => {
    const { app } = appIn(
      { "server.js": NODE_SERVER, "package.json": JSON.stringify({ name: "t", version: "1.0.0", dependencies: { "autocrea-no-such-package-7f3c9e2a": "1.0.0" } }) },
      { withGateway: true },
    );
    await app.start({ argv: ["node", "server.js"], port: 3000, install: ["npm", "install"] });
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("failed");
    expect(app.status().message).toMatch(/The install \(npm install\) failed/);
    expect(app.status().logTail).toMatch(/404/);
    expect(app.logSince(0).text).not.toContain("$ node server.js");
    await nothingLeft();
  });

  it("an app that exits is `crashed` with its exit code and last lines", async () => {
    const { app } = appIn({ "crash.js": 'console.error("Error: cannot find module ./db"); process.exit(3);' });
    await app.start({ argv: ["node", "crash.js"], port: 3000 });
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("crashed");
    const status = app.status();
    expect(status.exitCode).toBe(3);
    expect(status.message).toMatch(/exited \(exit code 3\) before it listened on port 3000/);
    expect(status.logTail).toContain("cannot find module ./db");
    await nothingLeft();
  });

  it("an app that never listens is stopped at the start timeout with a message", async () => {
    const { app } = appIn({ "idle.js": "setInterval(() => {}, 1000);" }, { startTimeoutMs: 3000 });
    await app.start({ argv: ["node", "idle.js"], port: 3000 });
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("failed");
    expect(app.status().message).toMatch(/did not answer HTTP on port 3000 within 3 s/);
    await nothingLeft();
  });

  it("the link reaches the app inside its sandbox, never a host port of the same number", async () => {
    const host: Server = createServer((_q, s) => s.end("host"));
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    const hostPort = (host.address() as AddressInfo).port;
    // The app listens on the host's port number inside its sandbox; the link must reach the app, not the host.
    const { app } = appIn({ "server.js": NODE_SERVER });
    try {
      await app.start({ argv: ["node", "server.js"], port: hostPort });
      expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
      expect((await get(app.linkSocket, "/")).body).toBe(`hello from ${hostPort}`);
    } finally {
      await app.stop();
      host.close();
    }
    await nothingLeft();
  });
});

describe("proxying to the app", () => {
  let front: Server;
  let frontUrl: string;
  let app: AppProcess;

  beforeAll(async () => {
    app = appIn({ "server.js": NODE_SERVER }).app;
    await app.start({ argv: ["node", "server.js"], port: 3000 });
    expect(await until(app, ["ready", "crashed", "failed"])).toBe("ready");
    front = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void proxyHttp(app.linkSocket, 3000, req, res, req.url!, Buffer.concat(chunks)));
    });
    front.on("upgrade", (req, socket, head) => proxyUpgrade(app.linkSocket, 3000, req, socket, head, req.url!));
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    front?.close();
    await app?.stop();
  });

  it("passes a request with its body and the client's headers, without the runner's own", async () => {
    const response = await fetch(`${frontUrl}/api/echo`, {
      method: "POST",
      body: "todo=milk",
      headers: { "x-runner-signature": "secret", cookie: "theme=dark" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ got: "todo=milk", host: "127.0.0.1:3000", cookie: "theme=dark" });
  });

  it("tunnels a WebSocket upgrade to the app", async () => {
    const message = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`${frontUrl.replace("http", "ws")}/hmr`);
      ws.on("message", (data) => resolve(String(data)));
      ws.on("error", reject);
    });
    expect(message).toBe("hi over ws");
  });

  it("answers 502 with a reason once the app is gone", async () => {
    await app.stop();
    const response = await fetch(`${frontUrl}/`);
    expect(response.status).toBe(502);
    expect((await response.json()).message).toMatch(/did not answer/);
  });
});
