import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../src/config";
import { loadGatewayConfig } from "../src/gateway/config";
import { Door, isPackagePath } from "../src/gateway/door";
import { PackageGateway } from "../src/gateway/gateway";
import { DEFAULT_LIMITS } from "../src/limits";
import { leakedCgroups } from "../src/sandbox/cgroup";
import { runInSandbox, type RunResult } from "../src/sandbox/run";
import { closeWarmPools } from "../src/sandbox/warm-pool";
import { createWorkspace, removeWorkspace, writeWorkspaceFile, type Workspace } from "../src/sandbox/workspace";

/**
 * The package gateway end to end: a real registry server (Verdaccio) in front of the host's npm
 * registry, a door, and real sandboxes whose npm installs through it; then what a hostile sandbox
 * can reach through it (only the door, and through the door only package reads).
 */
const config = loadRunnerConfig({
  ...process.env,
  RUNNER_SANDBOX_UID: "64124",
  RUNNER_SANDBOX_GID: "64124",
  RUNNER_CGROUP_PARENT: "autocrea-sandbox-gateway",
});
const INSTALL_LIMITS = { ...DEFAULT_LIMITS, wallMs: 60_000, cpuMs: 30_000, memoryBytes: 1024 * 1024 * 1024, pids: 256 };

let scratch: string;
let gateway: PackageGateway;
let cacheDir: string;
let door: string;
const workspaces: Workspace[] = [];

function workspaceWith(files: Record<string, string>): Workspace {
  const workspace = createWorkspace(config);
  workspaces.push(workspace);
  for (const [file, content] of Object.entries(files)) writeWorkspaceFile(workspace, file, content, config);
  return workspace;
}

function run(workspace: Workspace, command: string, gatewaySocket: string | undefined = door): Promise<RunResult> {
  return runInSandbox({ argv: ["/bin/sh", "-c", command], workspace: workspace.dir, limits: INSTALL_LIMITS, config, gatewaySocket });
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "autocrea-gateway-test-"));
  // The registry server's uid and the sandbox uid must traverse it, as they do RUNNER_STATE_DIR.
  chmodSync(scratch, 0o755);
  const stateDir = path.join(scratch, "state");
  cacheDir = path.join(scratch, "cache");
  const gatewayConfig = await loadGatewayConfig(stateDir, { ...process.env, RUNNER_GATEWAY_CACHE_DIR: cacheDir });
  gateway = new PackageGateway(gatewayConfig);
  await gateway.start();
  door = await gateway.openDoor("gateway-test-session-0", config.sandboxUid, config.sandboxGid);
});

afterAll(async () => {
  await gateway?.close();
  for (const workspace of workspaces) removeWorkspace(workspace);
  await closeWarmPools();
  rmSync(scratch, { recursive: true, force: true });
  expect(leakedCgroups(config.cgroupParent)).toEqual([]);
});

describe("installing packages through the gateway", () => {
  it("npm install fetches a real package through the door, caches it, and writes a lockfile with no sandbox address", async () => {
    const workspace = workspaceWith({
      "package.json": JSON.stringify({ name: "t", version: "1.0.0", dependencies: { "left-pad": "1.3.0" } }),
    });
    const result = await run(workspace, "npm install && node -e 'console.log(require(\"left-pad\")(\"7\", 3, \"0\"))'");
    expect(result.stderr).not.toMatch(/ERR!/);
    expect(result.status).toBe("OK");
    expect(result.stdout).toContain("007");
    const lock = readFileSync(path.join(workspace.dir, "package-lock.json"), "utf8");
    expect(lock).toContain('"node_modules/left-pad"');
    expect(lock).not.toContain("127.0.0.1");
    // The shared cache holds the tarball now.
    expect(readdirSync(path.join(cacheDir, "npm", "left-pad"))).toContain("left-pad-1.3.0.tgz");
  });

  it("npm ci installs a lockfile made against another registry host through the gateway", async () => {
    const lock = {
      name: "t",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": { name: "t", version: "1.0.0", dependencies: { "left-pad": "1.3.0" } },
        "node_modules/left-pad": {
          version: "1.3.0",
          resolved: "https://registry.example.invalid/left-pad/-/left-pad-1.3.0.tgz",
          integrity: "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQGinBN9yTQT3bFlCBy/aVx2HrNcqQGsdot8ghrjyrvMCoEA==",
          license: "WTFPL",
        },
      },
    };
    const workspace = workspaceWith({
      "package.json": JSON.stringify(lock.packages[""]),
      "package-lock.json": JSON.stringify(lock, null, 2),
    });
    const result = await run(workspace, "npm ci");
    expect(result.stderr).not.toMatch(/ERR!/);
    expect(result.status).toBe("OK");
    expect(existsSync(path.join(workspace.dir, "node_modules/left-pad/index.js"))).toBe(true);
  });

  it("a package that does not exist fails with the registry's 404", async () => {
    const workspace = workspaceWith({ "package.json": JSON.stringify({ name: "t", version: "1.0.0" }) });
    const result = await run(workspace, "npm install autocrea-no-such-package-7f3c9e2a");
    expect(result.status).toBe("RE");
    expect(result.stderr).toMatch(/404/);
    expect(result.stderr).toContain("autocrea-no-such-package-7f3c9e2a");
  });

  it("a sandbox without a door has no registry: npm fails at once instead of reaching anything", async () => {
    const workspace = workspaceWith({ "package.json": JSON.stringify({ name: "t", version: "1.0.0" }) });
    const result = await runInSandbox({
      argv: ["/bin/sh", "-c", "npm install left-pad --registry http://127.0.0.1:4873/ --fetch-retries 0"],
      workspace: workspace.dir,
      limits: INSTALL_LIMITS,
      config,
    });
    expect(result.status).toBe("RE");
    expect(result.stderr).toMatch(/ECONNREFUSED/);
  });
});

describe("what a hostile sandbox reaches through the gateway", () => {
  let hostServer: net.Server;
  let hostPort: number;
  let hostConnections = 0;

  beforeAll(async () => {
    hostServer = net.createServer((socket) => socket.end("host says hi"));
    hostServer.on("connection", () => hostConnections++);
    await new Promise<void>((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
    hostPort = (hostServer.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => hostServer.close(() => resolve())));

  it("only the door: not the host's ports, not another address, not DNS, not the registry server's socket", async () => {
    const probe = `
const net = require("net"), fs = require("fs"), dns = require("dns");
const attempt = (label, host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port, timeout: 3000 });
  socket.on("connect", () => { console.log(label, "REACHED"); socket.destroy(); resolve(); });
  socket.on("error", (e) => { console.log(label, "blocked", e.code); resolve(); });
  socket.on("timeout", () => { console.log(label, "blocked timeout"); socket.destroy(); resolve(); });
});
(async () => {
  await attempt("gateway", "127.0.0.1", 4873);
  await attempt("host-port", "127.0.0.1", ${hostPort});
  await attempt("outside", "192.0.2.1", 80);
  await attempt("other-loopback-port", "127.0.0.1", 4100);
  await new Promise((resolve) => dns.lookup("example.com", (e) => { console.log("dns", e ? "blocked " + e.code : "REACHED"); resolve(); }));
  console.log("registry-socket", fs.existsSync(${JSON.stringify(path.join(scratch, "state", "gateway", "registry"))}) ? "REACHED" : "blocked");
  console.log("doors", fs.readdirSync("/run/autocrea").join(","));
})();
`;
    const workspace = workspaceWith({ "probe.js": probe });
    const result = await run(workspace, "node probe.js");
    expect(result.status).toBe("OK");
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe("gateway REACHED");
    expect(lines.slice(1, 6).every((line) => line.includes("blocked"))).toBe(true);
    expect(lines[6]).toBe("doors registry.sock");
    expect(hostConnections).toBe(0);
  });

  it("through the door only package reads: publish, login, audit and other paths are refused with a reason", async () => {
    const probe = `
const http = require("http");
const ask = (method, path) => new Promise((resolve) => {
  const req = http.request({ host: "127.0.0.1", port: 4873, method, path, headers: { "content-type": "application/json" } }, (res) => {
    let body = ""; res.on("data", (d) => (body += d)); res.on("end", () => { console.log(method, path, res.statusCode, body.slice(0, 200).replace(/\\s+/g, " ")); resolve(); });
  });
  req.on("error", (e) => { console.log(method, path, "error", e.code); resolve(); });
  req.end(method === "GET" ? undefined : "{}");
});
(async () => {
  await ask("PUT", "/left-pad");
  await ask("PUT", "/-/user/org.couchdb.user:mallory");
  await ask("POST", "/-/npm/v1/security/advisories/bulk");
  await ask("DELETE", "/left-pad/-rev/1");
  await ask("GET", "/-/whoami");
  await ask("GET", "/-/verdaccio/data/packages");
  await ask("GET", "/left-pad/../../etc/passwd");
  await ask("GET", "/left-pad");
})();
`;
    const workspace = workspaceWith({ "probe.js": probe });
    const result = await run(workspace, "node probe.js");
    expect(result.status).toBe("OK");
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(8);
    for (const line of lines.slice(0, 4)) expect(line).toMatch(/ 405 .*read-only/);
    for (const line of lines.slice(4, 7)) expect(line).toMatch(/ 403 .*Only package metadata and tarballs/);
    expect(lines[7]).toMatch(/^GET \/left-pad 200 /);
  });
});

describe("the door's limits", () => {
  let registry: Server;
  let registrySocket: string;
  const seen: { path: string; headers: Record<string, unknown> }[] = [];
  let release: (() => void) | undefined;

  beforeAll(async () => {
    registrySocket = path.join(scratch, "fake-registry.sock");
    registry = createServer((req, res) => {
      seen.push({ path: req.url!, headers: req.headers });
      if (req.url === "/slow") {
        release = () => res.end("{}");
        return;
      }
      if (req.url === "/huge-declared") {
        res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
        res.end(Buffer.alloc(10 * 1024 * 1024));
        return;
      }
      if (req.url === "/huge-streamed") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        for (let i = 0; i < 40; i++) res.write(Buffer.alloc(64 * 1024));
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "set-cookie": "a=b" });
      res.end(JSON.stringify({ name: req.url }));
    });
    await new Promise<void>((resolve) => registry.listen(registrySocket, resolve));
  });
  afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

  async function openDoor(limits: Partial<ConstructorParameters<typeof Door>[2]>, clock?: () => number) {
    const socket = path.join(scratch, `door-${Math.random().toString(36).slice(2)}.sock`);
    const door = new Door(
      socket,
      registrySocket,
      { requestsPerMinute: 1000, concurrentRequests: 10, maxResponseBytes: 1024 * 1024, requestTimeoutMs: 30_000, ...limits },
      clock,
    );
    await door.listen(0, 0);
    return door;
  }

  function get(door: Door, pathname: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: string; error?: string }>((resolve) => {
      const req = httpRequest({ socketPath: door.socket, path: pathname, headers, agent: false }, (res) => {
        let body = "";
        res.setEncoding("latin1");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on("error", (e) => resolve({ status: res.statusCode!, headers: res.headers, body, error: e.message }));
        res.on("aborted", () => resolve({ status: res.statusCode!, headers: res.headers, body, error: "aborted" }));
      });
      req.on("error", (e) => resolve({ status: 0, headers: {}, body: "", error: e.message }));
      req.end();
    });
  }

  it("knows package paths from everything else", () => {
    for (const ok of ["/left-pad", "/@types%2fnode", "/@types/node", "/react/-/react-19.0.0.tgz", "/@types/node/-/node-20.1.0.tgz", "/react/latest"])
      expect(isPackagePath(ok), ok).toBe(true);
    for (const bad of ["/", "/-/whoami", "/-/v1/search", "/left-pad/../x", "/a/b/c", "/left-pad/-/x.exe", "//evil", "/%2e%2e/x"])
      expect(isPackagePath(bad), bad).toBe(false);
  });

  it("passes only a few headers, sets its own Host, and returns only a few", async () => {
    const door = await openDoor({});
    try {
      const answer = await get(door, "/left-pad", { authorization: "Bearer stolen", cookie: "session=1", accept: "application/json" });
      expect(answer.status).toBe(200);
      expect(answer.headers["set-cookie"]).toBeUndefined();
      const request = seen.at(-1)!;
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers.cookie).toBeUndefined();
      expect(request.headers.accept).toBe("application/json");
      expect(request.headers.host).toBe("127.0.0.1:4873");
    } finally {
      await door.close();
    }
  });

  it("answers 429 with Retry-After past the per-minute budget, and serves again in the next minute", async () => {
    let now = 1_000_000;
    const door = await openDoor({ requestsPerMinute: 3 }, () => now);
    try {
      for (let i = 0; i < 3; i++) expect((await get(door, "/left-pad")).status).toBe(200);
      const refused = await get(door, "/left-pad");
      expect(refused.status).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect(JSON.parse(refused.body).message).toMatch(/more than 3 package requests in a minute/);
      now += 60_000;
      expect((await get(door, "/left-pad")).status).toBe(200);
    } finally {
      await door.close();
    }
  });

  it("answers 429 past the requests in flight", async () => {
    const door = await openDoor({ concurrentRequests: 1 });
    try {
      const slow = get(door, "/slow");
      while (!release) await new Promise((resolve) => setTimeout(resolve, 10));
      const refused = await get(door, "/left-pad");
      expect(refused.status).toBe(429);
      release();
      expect((await slow).status).toBe(200);
    } finally {
      release = undefined;
      await door.close();
    }
  });

  it("refuses a response declared too large, and cuts one that turns out too large", async () => {
    const door = await openDoor({ maxResponseBytes: 1024 * 1024 });
    try {
      const declared = await get(door, "/huge-declared");
      expect(declared.status).toBe(502);
      expect(JSON.parse(declared.body).error).toBe("too_large");
      const streamed = await get(door, "/huge-streamed");
      expect(streamed.body.length).toBeLessThan(40 * 64 * 1024);
      expect(streamed.error).toBeDefined();
    } finally {
      await door.close();
    }
  });
});
