import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../src/config";
import { loadGatewayConfig } from "../src/gateway/config";
import { PackageGateway } from "../src/gateway/gateway";
import { DEFAULT_LIMITS } from "../src/limits";
import { leakedCgroups } from "../src/sandbox/cgroup";
import { runInSandbox } from "../src/sandbox/run";
import { closeWarmPools } from "../src/sandbox/warm-pool";
import { createWorkspace, removeWorkspace, type Workspace } from "../src/sandbox/workspace";

/**
 * PyPI through the package gateway (gateway/pypi.ts), against an upstream simple index served by
 * this test: pip in a real sandbox installs a real wheel through the door; the door rebuilds
 * project pages so that every file comes back through it, keeps only files with a hash, checks
 * each download against its hash and caches it by that hash.
 */
const config = loadRunnerConfig({
  ...process.env,
  RUNNER_SANDBOX_UID: "64125",
  RUNNER_SANDBOX_GID: "64125",
  RUNNER_CGROUP_PARENT: "autocrea-sandbox-pypi",
});

const MAKE_WHEEL = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("hello_autocrea/__init__.py", "GREETING = 'hello from a wheel'\\n")
    z.writestr("hello_autocrea-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: hello-autocrea\\nVersion: 1.0\\n")
    z.writestr("hello_autocrea-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr("hello_autocrea-1.0.dist-info/RECORD", "")
`;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

let scratch: string;
let cacheDir: string;
let upstream: Server;
let upstreamUrl: string;
let gateway: PackageGateway;
let door: string;
let wheel: Buffer;
const upstreamHits: string[] = [];
const workspaces: Workspace[] = [];

function page(files: object[]) {
  return JSON.stringify({ meta: { "api-version": "1.0" }, name: "x", files });
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "autocrea-pypi-test-"));
  chmodSync(scratch, 0o755);
  const wheelPath = path.join(scratch, "hello_autocrea-1.0-py3-none-any.whl");
  execFileSync("/usr/bin/python3", ["-c", MAKE_WHEEL, wheelPath]);
  wheel = readFileSync(wheelPath);

  upstream = createServer((req, res) => {
    upstreamHits.push(req.url!);
    const json = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "application/vnd.pypi.simple.v1+json" });
      res.end(body);
    };
    switch (req.url) {
      case "/simple/hello-autocrea/":
        return json(
          200,
          page([
            { filename: "hello_autocrea-1.0-py3-none-any.whl", url: "../../files/hello.whl", hashes: { sha256: sha256(wheel) }, "requires-python": ">=3.8" },
            // No hash: never offered (nothing to check it against).
            { filename: "hello_autocrea-0.9.tar.gz", url: "https://elsewhere.example/hello-0.9.tar.gz", hashes: {} },
            // Not a distribution file name.
            { filename: "install.sh", url: "/files/install.sh", hashes: { sha256: "a".repeat(64) } },
          ]),
        );
      case "/simple/tampered/":
        return json(200, page([{ filename: "tampered-1.0.tar.gz", url: "/files/tampered.tar.gz", hashes: { sha256: "b".repeat(64) } }]));
      case "/simple/html-only/":
        res.writeHead(200, { "content-type": "text/html" });
        return res.end("<a href='/x.whl'>x.whl</a>");
      case "/files/hello.whl":
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": wheel.length });
        return res.end(wheel);
      case "/files/tampered.tar.gz":
        return res.end("not what the page promised");
      default:
        return json(404, "{}");
    }
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/simple/`;

  cacheDir = path.join(scratch, "cache");
  const gatewayConfig = await loadGatewayConfig(path.join(scratch, "state"), {
    ...process.env,
    RUNNER_GATEWAY_CACHE_DIR: cacheDir,
    RUNNER_PYPI_UPSTREAM: upstreamUrl,
  });
  gateway = new PackageGateway(gatewayConfig);
  await gateway.start();
  door = await gateway.openDoor("pypi-test-session-0", config.sandboxUid, config.sandboxGid);
});

afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  for (const workspace of workspaces) removeWorkspace(workspace);
  await closeWarmPools();
  rmSync(scratch, { recursive: true, force: true });
  expect(leakedCgroups(config.cgroupParent)).toEqual([]);
});

function get(pathname: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = httpRequest({ socketPath: door, path: pathname, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("PyPI through the gateway", () => {
  it("pip in a sandbox installs a wheel through the door, and the file is cached by its hash", async () => {
    const workspace = createWorkspace(config);
    workspaces.push(workspace);
    const result = await runInSandbox({
      argv: [
        "/bin/sh",
        "-c",
        "python3 -m pip install --no-cache-dir --target deps hello-autocrea && PYTHONPATH=deps python3 -c 'import hello_autocrea; print(hello_autocrea.GREETING)'",
      ],
      workspace: workspace.dir,
      limits: { ...DEFAULT_LIMITS, wallMs: 60_000, cpuMs: 30_000, memoryBytes: 1024 * 1024 * 1024, pids: 256 },
      config,
      gatewaySocket: door,
    });
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.status).toBe("OK");
    expect(result.stdout).toContain("hello from a wheel");
    expect(readdirSync(path.join(cacheDir, "pypi"))).toContain(sha256(wheel));
  });

  it("rebuilds project pages: files point back through the door, only those with a hash and a distribution name", async () => {
    const json = await get("/pypi/simple/Hello_Autocrea/", { accept: "application/vnd.pypi.simple.v1+json" });
    expect(json.status).toBe(200);
    expect(json.type).toBe("application/vnd.pypi.simple.v1+json");
    expect(JSON.parse(json.body)).toEqual({
      meta: { "api-version": "1.0" },
      name: "hello-autocrea",
      files: [
        {
          filename: "hello_autocrea-1.0-py3-none-any.whl",
          url: `/pypi/files/${sha256(wheel)}/hello_autocrea-1.0-py3-none-any.whl`,
          hashes: { sha256: sha256(wheel) },
          "requires-python": ">=3.8",
        },
      ],
    });
    const html = await get("/pypi/simple/hello-autocrea/", { accept: "text/html" });
    expect(html.type).toContain("text/html");
    expect(html.body).toContain(
      `<a href="/pypi/files/${sha256(wheel)}/hello_autocrea-1.0-py3-none-any.whl#sha256=${sha256(wheel)}" data-requires-python="&#62;=3.8">hello_autocrea-1.0-py3-none-any.whl</a>`,
    );
    expect(html.body).not.toContain("elsewhere.example");
    expect(html.body).not.toContain("install.sh");
  });

  it("serves a cached file without asking the upstream again", async () => {
    const hitsBefore = upstreamHits.filter((hit) => hit === "/files/hello.whl").length;
    const file = await get(`/pypi/files/${sha256(wheel)}/hello_autocrea-1.0-py3-none-any.whl`);
    expect(file.status).toBe(200);
    expect(Buffer.from(file.body, "latin1").equals(wheel)).toBe(true);
    expect(upstreamHits.filter((hit) => hit === "/files/hello.whl").length).toBe(hitsBefore);
  });

  it("refuses a file that does not match its page's hash, and keeps nothing of it", async () => {
    expect((await get("/pypi/simple/tampered/", { accept: "application/vnd.pypi.simple.v1+json" })).status).toBe(200);
    const file = await get(`/pypi/files/${"b".repeat(64)}/tampered-1.0.tar.gz`);
    expect(file.status).toBe(502);
    expect(JSON.parse(file.body)).toMatchObject({ error: "integrity" });
    expect(existsSync(path.join(cacheDir, "pypi", "b".repeat(64)))).toBe(false);
    expect(readdirSync(path.join(cacheDir, "pypi", "tmp"))).toEqual([]);
  });

  it("says why for what it cannot or will not serve", async () => {
    const cases: [string, number, string][] = [
      [`/pypi/files/${"c".repeat(64)}/never-listed-1.0.tar.gz`, 404, "unknown_file"],
      ["/pypi/simple/no-such-project/", 404, "not_found"],
      ["/pypi/simple/html-only/", 502, "upstream_error"],
      ["/pypi/simple/", 403, "not_a_package"],
      ["/pypi/simple/bad%20name/", 400, "bad_name"],
      ["/pypi/files/abc/x.whl", 403, "not_a_package"],
    ];
    for (const [pathname, status, error] of cases) {
      const answer = await get(pathname, { accept: "application/vnd.pypi.simple.v1+json" });
      expect({ pathname, status: answer.status, error: JSON.parse(answer.body).error }).toEqual({ pathname, status, error });
    }
  });

  it("a gateway without a PyPI upstream refuses Python pages and says how to configure one", async () => {
    const plain = new PackageGateway(await loadGatewayConfig(path.join(scratch, "state-plain"), { ...process.env, RUNNER_GATEWAY_CACHE_DIR: cacheDir }));
    // Its doors answer without the registry server running: PyPI paths never reach it.
    const socket = await plain.openDoor("pypi-test-session-1", 0, 0);
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ socketPath: socket, path: "/pypi/simple/flask/", agent: false }, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        });
        req.on("error", reject);
        req.end();
      });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "pypi_not_configured", message: expect.stringContaining("RUNNER_PYPI_UPSTREAM") });
    } finally {
      await plain.closeDoor("pypi-test-session-1");
    }
  });
});
