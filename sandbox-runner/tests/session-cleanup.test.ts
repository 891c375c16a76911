import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * Workspaces go without holding up the runner: a session's (which may hold 100k files) is removed
 * while other requests are served, and what a runner killed with SIGKILL left behind is removed
 * when the next one starts. Session uids of this file's own (see session-uids.test.ts).
 */
vi.hoisted(() => {
  process.env.RUNNER_SESSION_UID_BASE = "64601";
});

import { getRunnerConfig } from "../src/config";
import { createWorkspace, removeWorkspace } from "../src/sandbox/workspace";
import { startTestRunner, type TestRunner } from "./server-support";

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

const DIRS = 50;
const FILES_PER_DIR = 1000;
const MAKE_FILES = `
import os
for d in range(${DIRS}):
    os.makedirs(f"tree/d{d}")
    for f in range(${FILES_PER_DIR}):
        os.close(os.open(f"tree/d{d}/f{f}", os.O_CREAT | os.O_WRONLY, 0o644))
print(sum(len(files) for _, _, files in os.walk("tree")))
`;

describe("removing a large session workspace", () => {
  let runner: TestRunner;
  beforeAll(async () => {
    // Without volumes (RUNNER_WORKSPACE_QUOTA=off) the tree itself is removed; a volume is unmounted (workspace-quota.test.ts).
    runner = await startTestRunner({ maxSessions: 2, workspaceQuota: null });
  });
  afterAll(() => runner?.close());

  it("serves other requests meanwhile, and the workspace is gone afterwards", { timeout: 240_000 }, async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    const workspace = runner.sessions.get(id).workspace;
    // Made from the host: inside the session, 50k creations can take more than a command's 30 s of
    // cpu time on a loaded machine (it is system time, counted in the cgroup).
    const made = await promisify(execFile)("/usr/bin/python3", ["-c", MAKE_FILES], { cwd: workspace });
    expect(made.stdout).toBe(`${DIRS * FILES_PER_DIR}\n`);
    const tree = path.join(workspace, "tree");

    // The client shares the runner's event loop: an answer can only arrive while the tree is half
    // removed if the removal leaves the loop free.
    const partly = () => {
      if (!existsSync(workspace)) return false;
      try {
        return readdirSync(tree).length < DIRS;
      } catch {
        return true; // the tree went, the workspace not yet
      }
    };
    let deleting = true;
    const answers: { status: number; partly: boolean }[] = [];
    const polling = (async () => {
      while (deleting) {
        const response = await fetch(`${runner.url}/v1/health`);
        await response.text();
        if (deleting) answers.push({ status: response.status, partly: partly() });
      }
    })();
    const deleted = await runner.call("DELETE", `/v1/sessions/${id}`);
    deleting = false;
    await polling;

    expect(deleted.status).toBe(204);
    expect(existsSync(workspace)).toBe(false);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => answer.partly).length).toBeGreaterThan(0);
  });
});

describe("at start", () => {
  const config = getRunnerConfig();
  const root = path.join(config.stateDir, "ws");
  const outside = path.join(config.stateDir, "outside.txt");
  let runner: TestRunner | undefined;
  let live: ReturnType<typeof spawn> | undefined;
  const own: string[] = [];
  afterAll(async () => {
    live?.kill("SIGKILL");
    for (const dir of own) removeWorkspace({ dir });
    await runner?.close();
  });

  it("removes the workspaces earlier runners left, in the background; not this process's, nor a live one's", async () => {
    mkdirSync(root, { recursive: true, mode: 0o711 });
    writeFileSync(outside, "keep me");
    // A crashed runner's session: nested, read-only in parts, with a link out of it.
    const crashed = path.join(root, "session-999999999-0123456789abcdef01234567");
    mkdirSync(path.join(crashed, "a/b/c"), { recursive: true });
    for (let i = 0; i < 200; i++) writeFileSync(path.join(crashed, "a/b/c", `f${i}`), "x");
    symlinkSync(outside, path.join(crashed, "a/link"));
    chmodSync(path.join(crashed, "a/b"), 0o555);
    const planted = path.join(root, "planted");
    mkdirSync(path.join(planted, "x/y"), { recursive: true });
    writeFileSync(path.join(planted, "x/y/z"), "z");
    // Named after this pid, but not created by this process: a previous runner's with the same pid.
    const samePid = path.join(root, `run-${process.pid}-old`);
    mkdirSync(samePid);

    live = spawn("sleep", ["60"], { stdio: "ignore" });
    const otherRunner = path.join(root, `run-${live.pid}-theirs`);
    mkdirSync(otherRunner);
    own.push(createWorkspace(config, `ready-${process.pid}-`).dir, createWorkspace(config).dir);

    runner = await startTestRunner();
    await waitUntil(() => ![crashed, planted, samePid].some((dir) => existsSync(dir)), "the stale workspaces are gone");
    expect(readFileSync(outside, "utf8")).toBe("keep me");
    for (const dir of [otherRunner, ...own]) expect(existsSync(dir), dir).toBe(true);
    rmSync(otherRunner, { recursive: true });

    // The runner works as before.
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    expect((await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "echo ok" })).json.stdout).toBe("ok\n");
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
  });
});
