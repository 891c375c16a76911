import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Agent, request as httpRequest, type ClientRequest } from "node:http";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * A client that goes away before its response is sent: the run of its execute request or session
 * command is killed at once (its whole cgroup, as the wall time limit does), everything is cleaned
 * up as after a timeout, and a session stays usable. A uid and cgroup parent of their own keep the
 * "no process of the sandbox uid is left" checks exact.
 */
vi.hoisted(() => {
  process.env.RUNNER_SANDBOX_UID = "64125";
  process.env.RUNNER_SANDBOX_GID = "64125";
  process.env.RUNNER_CGROUP_PARENT = "autocrea-sandbox-abort";
  process.env.RUNNER_SESSION_UID_BASE = "64701";
});

import { getRunnerConfig, sessionUidRange } from "../src/config";
import { DEFAULT_LIMITS } from "../src/limits";
import { createLogger } from "../src/log";
import { isIdleCgroup, leakedCgroups, type SandboxCgroup } from "../src/sandbox/cgroup";
import { closeReadyPools, readySandboxReady, takeReadySandbox } from "../src/sandbox/ready-pool";
import { runInSandbox } from "../src/sandbox/run";
import { createWorkspace, removeWorkspace } from "../src/sandbox/workspace";
import { closeWarmPools } from "../src/sandbox/warm-pool";
import { startTestRunner, type TestRunner } from "./server-support";

const config = getRunnerConfig();

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

function inIdleCgroup(pid: string): boolean {
  try {
    const prefix = `/${config.cgroupParent}/`;
    return readFileSync(`/proc/${pid}/cgroup`, "utf8")
      .split("\n")
      .some((line) => {
        const cgroupPath = line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1);
        return cgroupPath.startsWith(prefix) && isIdleCgroup(cgroupPath.slice(prefix.length));
      });
  } catch {
    return false;
  }
}

/** The uids this file's runs have: `execute`'s and its runners' sessions' (16, startTestRunner's maximum). */
const sandboxUids = new Set([config.sandboxUid, ...sessionUidRange(config, 16)].map(String));

/** Live processes of those uids (warm launchers and ready sandboxes waiting for a run aside), with their command lines. */
function sandboxProcesses(): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (!sandboxUids.has(status.match(/^Uid:\s+(\d+)/m)?.[1] ?? "")) continue;
      if (/^State:\s+Z/m.test(status) || inIdleCgroup(entry)) continue;
      found.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ") });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

const sleeping = (marker: string) => sandboxProcesses().some((p) => p.cmdline.includes(marker));

/** Workspaces (under the state dir) holding a file of this name. */
function workspacesWith(file: string): string[] {
  const root = path.join(config.stateDir, "ws");
  return readdirSync(root).filter((dir) => existsSync(path.join(root, dir, file)));
}

/** Sends a signed request with node:http and returns it unanswered (the test destroys it). */
function startRequest(runner: TestRunner, method: string, pathWithQuery: string, body: unknown, agent?: Agent): ClientRequest {
  const text = JSON.stringify(body);
  const url = new URL(runner.url + pathWithQuery);
  const req = httpRequest({
    host: url.hostname,
    port: url.port,
    path: pathWithQuery,
    method,
    agent,
    headers: { ...runner.signed(method, pathWithQuery, text), "content-type": "application/json" },
  });
  req.on("error", () => {
    // destroyed by the test
  });
  req.end(text);
  return req;
}

/** Everything the aborted run had is gone: its processes, its cgroup. */
async function expectAllGone(): Promise<void> {
  await waitUntil(() => leakedCgroups(config.cgroupParent).length === 0, "the run's cgroup is removed");
  await waitUntil(() => sandboxProcesses().length === 0, "no process of the sandbox uid is left");
  expect(leakedCgroups(config.cgroupParent)).toEqual([]);
  expect(sandboxProcesses()).toEqual([]);
}

describe("a client that goes away", () => {
  let runner: TestRunner;
  const logged: string[] = [];
  beforeAll(async () => {
    // Warnings and errors only: an aborted request is no failure of the runner's.
    runner = await startTestRunner({}, createLogger({ level: "warn", write: (line) => logged.push(line) }));
  });
  afterEach(() => {
    expect(logged).toEqual([]);
  });
  afterAll(async () => {
    await runner?.close();
    await closeWarmPools();
    await closeReadyPools();
  });

  it("ends an execute request's run: cgroup, processes and workspace are gone", async () => {
    // Both a run in a ready sandbox (the first request takes one) and one started by a launcher (the next ones).
    for (let round = 0; round < 3; round++) {
      const marker = `abort-${round}-${process.pid}`;
      const req = startRequest(runner, "POST", "/v1/execute", {
        language: "bash",
        files: [{ path: `${marker}.sh`, content: `sleep 30 # ${marker}\n` }],
        limits: { wallMs: 60_000 },
      });
      await waitUntil(() => sleeping(marker), "the program runs");
      expect(workspacesWith(`${marker}.sh`)).toHaveLength(1);
      expect(leakedCgroups(config.cgroupParent)).toHaveLength(1);
      req.destroy();
      await expectAllGone();
      await waitUntil(() => workspacesWith(`${marker}.sh`).length === 0, "the workspace is removed");
    }
  });

  it("stops a compiled language's run stage too, and no stage starts after an abort", async () => {
    const marker = `abort-c-${process.pid}`;
    const req = startRequest(runner, "POST", "/v1/execute", {
      language: "c",
      files: [{ path: "main.c", content: `#include <unistd.h>\nint main(void) { /* ${marker} */ for (;;) pause(); }\n` }],
      limits: { wallMs: 60_000, cpuMs: 30_000 },
    });
    // The compiled program is ./main (or similar); wait until a process other than the compiler runs in the sandbox.
    await waitUntil(
      () => sandboxProcesses().some((p) => /(^|\/)main\b/.test(p.cmdline.split(" ")[0]!)),
      "the compiled program runs",
    );
    req.destroy();
    await expectAllGone();
  });

  it("ends a session command; the session stays usable", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    await runner.call("PUT", `/v1/sessions/${id}/files`, { files: [{ path: "keep.txt", content: "kept" }] });
    const workspace = runner.sessions.get(id).workspace;

    // fetch with an AbortController, as the app's client does.
    const controller = new AbortController();
    const marker = `abort-session-${process.pid}`;
    const pathWithQuery = `/v1/sessions/${id}/commands`;
    const text = JSON.stringify({ command: `sleep 30 # ${marker}; sleep 31`, limits: { wallMs: 60_000 } });
    const pending = fetch(runner.url + pathWithQuery, {
      method: "POST",
      headers: { ...runner.signed("POST", pathWithQuery, text), "content-type": "application/json" },
      body: text,
      signal: controller.signal,
    });
    await waitUntil(() => runner.sessions.get(id).running === 1 && sandboxProcesses().some((p) => p.cmdline.includes("sleep 30")), "the command runs");
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await expectAllGone();
    await waitUntil(() => runner.sessions.get(id).running === 0, "the session has no running command");

    expect(existsSync(path.join(workspace, "keep.txt"))).toBe(true);
    const next = await runner.call("POST", pathWithQuery, { command: "cat keep.txt; echo more > more.txt" });
    expect(next.status).toBe(200);
    expect(next.json).toMatchObject({ status: "OK", exitCode: 0, stdout: "kept" });
    expect((await runner.call("POST", pathWithQuery, { command: "cat more.txt" })).json.stdout).toBe("more\n");
    await expectAllGone();
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
  });

  it("a command aborted while another of the same session runs ends only itself", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    const pathWithQuery = `/v1/sessions/${id}/commands`;
    const kept = runner.call("POST", pathWithQuery, { command: "sleep 1; echo done", limits: { wallMs: 30_000 } });
    const req = startRequest(runner, "POST", pathWithQuery, { command: "sleep 32", limits: { wallMs: 60_000 } });
    await waitUntil(() => sandboxProcesses().some((p) => p.cmdline.includes("sleep 32")), "the second command runs");
    req.destroy();
    await waitUntil(() => !sandboxProcesses().some((p) => p.cmdline.includes("sleep 32")), "the aborted command is gone");
    expect((await kept).json).toMatchObject({ status: "OK", stdout: "done\n" });
    await expectAllGone();
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
  });

  it("closing the connection after a completed response changes nothing", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    const pathWithQuery = `/v1/sessions/${id}/commands`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const answer = (req: ClientRequest) =>
      new Promise<{ status: number; json: any }>((resolve, reject) => {
        req.on("response", (res) => {
          let text = "";
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        });
        req.on("error", reject);
      });
    const first = await answer(startRequest(runner, "POST", pathWithQuery, { command: "echo one > one.txt; echo one" }, agent));
    expect(first.json).toMatchObject({ status: "OK", stdout: "one\n" });
    const executed = await answer(
      startRequest(runner, "POST", "/v1/execute", { language: "bash", files: [{ path: "a.sh", content: "echo ran" }] }, agent),
    );
    expect(executed.json.run).toMatchObject({ status: "OK", stdout: "ran\n" });
    agent.destroy(); // closes the kept-alive socket both requests used
    await sleep(100);
    expect(runner.sessions.get(id).running).toBe(0);
    const next = await runner.call("POST", pathWithQuery, { command: "cat one.txt" });
    expect(next.json).toMatchObject({ status: "OK", stdout: "one\n" });
    await expectAllGone();
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
  });
});

describe("runInSandbox with a signal", () => {
  afterAll(async () => {
    await closeWarmPools();
    await closeReadyPools();
  });

  it.each(["ready sandbox", "launcher"] as const)(
    "a signal aborted before the run starts (%s): killed at once, nothing left, the pool still serves",
    async (startedBy) => {
      expect(await readySandboxReady(config)).toBe(true);
      const ready = startedBy === "ready sandbox" ? takeReadySandbox(config) : undefined;
      const workspace = ready?.workspace ?? createWorkspace(config);
      let cgroup: SandboxCgroup | undefined;
      try {
        const result = await runInSandbox({
          argv: ["/usr/bin/bash", "-c", "sleep 30"],
          workspace: workspace.dir,
          limits: { ...DEFAULT_LIMITS, wallMs: 60_000 },
          config,
          ready,
          signal: AbortSignal.abort(),
          onCgroup: (created) => (cgroup = created),
        });
        expect(result).toMatchObject({ status: "XX", message: expect.stringMatching(/aborted/) });
        expect(cgroup!.exists()).toBe(false);
        await expectAllGone();
        // The next run (a fresh ready sandbox or launcher) is unaffected.
        const next = await runInSandbox({
          argv: ["/usr/bin/bash", "-c", "echo fine"],
          workspace: workspace.dir,
          limits: DEFAULT_LIMITS,
          config,
        });
        expect(next).toMatchObject({ status: "OK", stdout: "fine\n" });
      } finally {
        removeWorkspace(workspace);
      }
      await expectAllGone();
    },
  );
});
