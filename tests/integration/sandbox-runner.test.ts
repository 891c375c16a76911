import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchRun } from "@/lib/ai/runs/execute";
import type { RunEvent } from "@/lib/ai/types";
import { createRunnerClient, RunnerAbortedError, type RunnerClient } from "@/lib/sandbox/client";
import { createSqliteStore } from "@/lib/store/sqlite";
import { SCRIPT_CANDIDATES, scriptedRoles } from "./support/scripted-roles";

// The app's client against the real runner: `sandbox-runner/src/main.ts` as its own process
// (self-test, real sandbox), spoken to over HTTP exactly as in production.

const runnerDir = path.resolve(__dirname, "../../sandbox-runner");
const stateDir = path.join(os.tmpdir(), `autocrea-runner-app-tests-${process.pid}`);

function spawnRunner(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: runnerDir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      NODE_ENV: "test",
      PORT: "0",
      RUNNER_STATE_DIR: stateDir,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** Resolves with the URL the runner logs once listening; rejects if it exits first. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`runner exited with ${code}: ${log}`)));
  });
}

const secret = randomBytes(32).toString("hex");
let runner: ChildProcess;
let url: string;
let client: RunnerClient;

beforeAll(async () => {
  runner = spawnRunner({ RUNNER_SECRET: secret });
  url = await listeningUrl(runner);
  client = createRunnerClient({ url, secret });
}, 60_000);

afterAll(async () => {
  if (runner && runner.exitCode === null) {
    runner.kill("SIGTERM");
    await once(runner, "exit");
  }
  rmSync(stateDir, { recursive: true, force: true });
});

describe("sandbox-runner process", () => {
  it("refuses to start without RUNNER_SECRET", async () => {
    const child = spawnRunner({});
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(log).toMatch(/RUNNER_SECRET is required/);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    const child = spawnRunner({ RUNNER_SECRET: secret });
    await listeningUrl(child);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });
});

describe("app ↔ sandbox-runner", () => {
  it("reaches the runner with signed requests", async () => {
    expect(await client.health()).toEqual({ status: "ok", gateway: "ok", workspaceQuota: "on" });
    const runtimes = await client.runtimes();
    expect(runtimes.find((r) => r.language === "python")).toMatchObject({ compiled: false });
  });

  it("executes a program", async () => {
    const result = await client.execute({
      language: "python",
      files: [{ path: "main.py", content: "import sys; print(sys.stdin.read().upper())" }],
      stdin: "hello",
    });
    expect(result.run).toMatchObject({ status: "OK", stdout: "HELLO\n" });
  });

  it("works in a session: files, commands, delete", async () => {
    const { id } = await client.createSession({ userId: "user-1" });
    await client.writeFiles(id, [{ path: "notes/a.txt", content: "from the app" }]);
    expect(await client.runCommand(id, { command: "cat notes/a.txt" })).toMatchObject({ status: "OK", stdout: "from the app" });
    expect(await client.runCommand(id, { argv: ["ls", "notes"] })).toMatchObject({ stdout: "a.txt\n" });
    await expect(client.writeFiles(id, [{ path: "../escape", content: "" }])).rejects.toMatchObject({ status: 400 });
    await client.deleteSession(id);
    await expect(client.runCommand(id, { command: "true" })).rejects.toMatchObject({ status: 404 });
  });

  it("reports a wrong secret as a runner error, not as the user's fault", async () => {
    const misconfigured = createRunnerClient({ url, secret: "x".repeat(64) });
    await expect(misconfigured.runtimes()).rejects.toMatchObject({ status: 502, runnerStatus: 401 });
  });
});

/** Live (non-zombie) host processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${entry}/status`, "utf8"))) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The host directories of the per-run cgroup (every hierarchy, v1 or v2) `pid` is in. */
function runCgroupDirs(pid: number): string[] {
  const dirs: string[] = [];
  for (const line of readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n")) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (!cgroupPath?.includes("autocrea-sandbox")) continue;
    const candidates = controllers
      ? controllers.split(",").map((c) => `/sys/fs/cgroup/${c.replace(/^name=/, "")}${cgroupPath}`).concat(`/sys/fs/cgroup/${controllers}${cgroupPath}`)
      : [`/sys/fs/cgroup${cgroupPath}`, `/sys/fs/cgroup/unified${cgroupPath}`];
    dirs.push(...candidates.filter((dir) => existsSync(dir)));
  }
  return [...new Set(dirs)];
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

/** Waits until the marked command runs in its sandbox; returns its cgroup's directories. */
async function running(marker: string): Promise<string[]> {
  await waitUntil(() => processesWith(marker).some((pid) => runCgroupDirs(pid).length > 0), `"${marker}" runs`);
  const dirs = processesWith(marker).flatMap(runCgroupDirs);
  expect(dirs.length).toBeGreaterThan(0);
  return dirs;
}

/** Its processes and its cgroup are gone (bounded wait, no claim about how fast). */
async function gone(marker: string, cgroupDirs: string[]): Promise<void> {
  await waitUntil(() => processesWith(marker).length === 0, `no process of "${marker}" is left`);
  await waitUntil(() => cgroupDirs.every((dir) => !existsSync(dir)), `the cgroup of "${marker}" is removed`);
}

describe("app ↔ sandbox-runner: aborting a request", () => {
  it("an aborted session command rejects with RunnerAbortedError, its sandbox is killed, the session stays usable", async () => {
    const { id } = await client.createSession({ userId: "user-1" });
    await client.writeFiles(id, [{ path: "a.txt", content: "still here" }]);
    const marker = `abort-cmd-${process.pid}`;
    const controller = new AbortController();
    const pending = client
      .runCommand(id, { command: `sleep 45 # ${marker}`, limits: { wallMs: 60_000 } }, { signal: controller.signal })
      .catch((e: unknown) => e);
    const cgroupDirs = await running(marker);
    controller.abort("canceled");
    expect(await pending).toMatchObject({ name: "RunnerAbortedError", reason: "canceled" });
    expect(await pending).toBeInstanceOf(RunnerAbortedError);
    await gone(marker, cgroupDirs);
    expect(await client.runCommand(id, { command: "cat a.txt" })).toMatchObject({ status: "OK", stdout: "still here" });
    await client.deleteSession(id);
  });

  it("an aborted execute rejects with RunnerAbortedError and its sandbox is killed", async () => {
    const marker = `abort-exec-${process.pid}`;
    const controller = new AbortController();
    const pending = client
      .execute(
        { language: "bash", files: [{ path: `${marker}.sh`, content: "sleep 45\n" }], limits: { wallMs: 60_000 } },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    const cgroupDirs = await running(marker);
    controller.abort();
    expect(await pending).toBeInstanceOf(RunnerAbortedError);
    await gone(marker, cgroupDirs);
    expect((await client.execute({ language: "bash", files: [{ path: "a.sh", content: "echo next" }] })).run).toMatchObject({
      status: "OK",
      stdout: "next\n",
    });
  });
});

describe("canceling a generation run whose tester runs a long command", () => {
  it("ends canceled through the aborted command (not its result), and the command's sandbox and session are gone", async () => {
    const store = await createSqliteStore(":memory:");
    try {
      const { user } = await store.ensureUser({ externalId: "u-abort", email: "abort@example.com" });
      const project = await store.createProject(user.id, { name: "Sleeper" });
      const reserved = await store.reserveCredits(user.id, 50, `run-abort-${process.pid}`);
      if (!reserved.ok) throw new Error("reservation refused");
      const run = await store.createRun(user.id, { projectId: project.id, reservationId: reserved.reservation.id, cap: 50, estimate: 50 });

      const sessions: string[] = [];
      const recording: RunnerClient = {
        ...client,
        createSession: async (request, options) => {
          const session = await client.createSession(request, options);
          sessions.push(session.id);
          return session;
        },
      };
      const marker = `abort-run-${process.pid}`;
      const command = `sleep 45 # ${marker}`;
      const live = launchRun({ store, userId: user.id, run, prompt: "Wait", candidates: SCRIPT_CANDIDATES, stream: scriptedRoles("Sleeper", command), runner: recording, maxFixerPasses: 0 });
      const cgroupDirs = await running(marker);
      live.controller.abort("canceled");
      await live.finished;

      expect((await store.getRun(user.id, run.id))?.status).toBe("canceled");
      const events: RunEvent[] = (await store.listRunEvents(user.id, run.id)).map((e) => e.event);
      expect(events.at(-1)).toMatchObject({ type: "failed", status: "canceled" });
      // The command never produced a result (it would be logged "$ sleep … → failed (…, TO)"): it was aborted.
      expect(events.some((e) => e.type === "log" && e.message.startsWith(`$ ${command}`))).toBe(false);
      await gone(marker, cgroupDirs);
      expect(sessions).toHaveLength(1);
      await expect(client.runCommand(sessions[0]!, { command: "true" })).rejects.toMatchObject({ status: 404 });
      expect((await store.getReservation(run.reservationId))?.status).toBe("settled");
    } finally {
      await store.close();
    }
  });
});
