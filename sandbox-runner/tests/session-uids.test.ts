import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * Every session runs as a uid of its own (RUNNER_SESSION_UID_BASE onwards), so per-user kernel
 * limits (here: inotify instances, fs.inotify.max_user_instances) are not shared between sessions.
 * A range of this file's own: runners of other test processes use the default one meanwhile.
 */
vi.hoisted(() => {
  process.env.RUNNER_SESSION_UID_BASE = "64501";
});

import { getRunnerConfig, loadRunnerConfig, sessionUidRange } from "../src/config";
import { startRunner } from "../src/server/start";
import { startTestRunner, TerminalClient, type TestRunner } from "./server-support";

const BASE = 64501;

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Pids of the live (not zombie) processes that have this uid as real, effective or saved uid. */
function processesOf(uid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const ids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1).map(Number) ?? [];
      if (ids.includes(uid) && !/^State:\s+Z/m.test(status)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

const EXHAUST_INOTIFY = `
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
fds = []
while True:
    fd = libc.inotify_init()
    if fd < 0:
        break
    fds.append(fd)
reason = os.strerror(ctypes.get_errno())
with open("exhausted.tmp", "w") as f:
    f.write(f"{len(fds)} {reason}")
os.rename("exhausted.tmp", "exhausted")
time.sleep(60)
`;

const PROBE_INOTIFY = `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print("ok" if libc.inotify_init() >= 0 else os.strerror(ctypes.get_errno()))
`;

describe("session uids", () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner({ maxSessions: 2 });
  });
  afterAll(() => runner?.close());

  const create = async (): Promise<string> => {
    const created = await runner.call("POST", "/v1/sessions", { userId: "u1" });
    expect(created.status).toBe(201);
    return created.json.id;
  };
  const uidOf = (id: string) => runner.sessions.get(id).uid;
  const command = (id: string, body: unknown) => runner.call("POST", `/v1/sessions/${id}/commands`, body);
  const remove = async (...ids: string[]) => {
    for (const id of ids) expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
  };

  it("each session has a uid of its own: its workspace, its files, its commands and its terminal", async () => {
    const a = await create();
    const b = await create();
    expect(uidOf(a)).not.toBe(uidOf(b));
    for (const id of [a, b]) {
      const uid = uidOf(id);
      expect([BASE, BASE + 1]).toContain(uid);
      expect(uid).not.toBe(getRunnerConfig().sandboxUid);

      const written = await runner.call("PUT", `/v1/sessions/${id}/files`, { files: [{ path: "src/app.js", content: "1" }] });
      expect(written.status).toBe(200);
      const workspace = runner.sessions.get(id).workspace;
      for (const file of [".", "src", "src/app.js"]) {
        const stat = statSync(path.join(workspace, file));
        expect([file, stat.uid, stat.gid]).toEqual([file, uid, uid]);
      }

      const ids = await command(id, { command: "id -u; id -g; id -G; whoami; stat -c %u:%g src/app.js; touch made; stat -c %u made" });
      expect(ids.json).toMatchObject({ status: "OK", stdout: `${uid}\n${uid}\n${uid}\nsandbox\n${uid}:${uid}\n${uid}\n` });
    }

    const terminal = new TerminalClient(runner.ptyUrl(a, runner.ticket(a, "u1")));
    await terminal.opened();
    await terminal.waitFor("$ ");
    terminal.type("echo uid=$(id -u) user=$(whoami)\r");
    await terminal.waitFor(`uid=${uidOf(a)} user=sandbox`);
    await terminal.close();
    await remove(a, b);
  });

  it("a session holding every inotify instance of its uid leaves another session's watchers alone", async () => {
    const maxInstances = Number(readFileSync("/proc/sys/fs/inotify/max_user_instances", "utf8"));
    const a = await create();
    const b = await create();
    for (const id of [a, b]) {
      await runner.call("PUT", `/v1/sessions/${id}/files`, {
        files: [
          { path: "exhaust.py", content: EXHAUST_INOTIFY },
          { path: "probe.py", content: PROBE_INOTIFY },
        ],
      });
    }
    // Its RLIMIT_NOFILE (1024) is above the per-user limit: what runs out is the uid's instances.
    const holding = command(a, { argv: ["python3", "exhaust.py"], limits: { wallMs: 60_000, nofile: 1024 } });
    const read = () => runner.call("GET", `/v1/sessions/${a}/files?path=exhausted`);
    await waitUntil(async () => (await read()).status === 200, "session A holds every inotify instance it can");
    const [count, ...reason] = Buffer.from((await read()).json.contentBase64, "base64").toString().split(" ");
    expect(reason.join(" ")).toBe("Too many open files");
    expect(Number(count)).toBeGreaterThan(0);
    expect(Number(count)).toBeLessThanOrEqual(maxInstances);

    // A's uid has none left, for any of its commands; B's uid is another user to the kernel.
    expect((await command(a, { argv: ["python3", "probe.py"] })).json.stdout).toBe("Too many open files\n");
    expect((await command(b, { argv: ["python3", "probe.py"] })).json).toMatchObject({ status: "OK", stdout: "ok\n" });

    await remove(a);
    expect((await holding).json.status).toBe("XX");
    await remove(b);
  });

  it("a freed uid goes to a new session, but only once no process has it", async () => {
    const a = await create();
    const b = await create();
    const freed = uidOf(a);
    await command(a, { command: "sleep 30 &", limits: { wallMs: 5_000 } });
    await remove(a);
    expect(processesOf(freed)).toEqual([]);

    // A process of that uid outside any session (as if one had escaped its cgroup) keeps the uid out of use.
    const straggler = spawn("setpriv", [`--reuid=${freed}`, `--regid=${freed}`, "--clear-groups", "sleep", "60"], {
      stdio: "ignore",
    });
    const gone = new Promise((resolve) => straggler.once("exit", resolve));
    await waitUntil(() => processesOf(freed).includes(straggler.pid!), "the straggler runs as the freed uid");
    const refused = await runner.call("POST", "/v1/sessions", { userId: "u1" });
    expect(refused.status).toBe(503);
    expect(refused.json.error).toBe("no_free_uid");

    straggler.kill("SIGKILL");
    await gone;
    const c = await create();
    expect(uidOf(c)).toBe(freed);
    expect((await command(c, { command: "id -u; ls -A" })).json.stdout).toBe(`${freed}\n`);
    await remove(b, c);
  });
});

describe("the session uid range", () => {
  it("starts at RUNNER_SESSION_UID_BASE, one uid per session; a range holding the execute uid or gid is refused", () => {
    expect(sessionUidRange(loadRunnerConfig({}), 3)).toEqual([64001, 64002, 64003]);
    expect(sessionUidRange(loadRunnerConfig({ RUNNER_SESSION_UID_BASE: "70000" }), 2)).toEqual([70000, 70001]);
    expect(() => sessionUidRange(loadRunnerConfig({ RUNNER_SANDBOX_UID: "64010" }), 32)).toThrow(
      /RUNNER_SANDBOX_UID \(64010\)/,
    );
    expect(() => sessionUidRange(loadRunnerConfig({ RUNNER_SANDBOX_GID: "64002" }), 2)).toThrow(/RUNNER_SANDBOX_GID/);
    expect(() => sessionUidRange(loadRunnerConfig({ RUNNER_SESSION_UID_BASE: "65530" }), 10)).toThrow(/nobody/);
    expect(() => loadRunnerConfig({ RUNNER_SESSION_UID_BASE: "0" })).toThrow(/RUNNER_SESSION_UID_BASE/);
  });

  it("a runner whose session uids would take the execute uid does not start", async () => {
    const config = loadRunnerConfig({ ...process.env, RUNNER_SANDBOX_UID: String(BASE + 1) });
    await expect(
      startRunner(
        { port: 0, host: "127.0.0.1", secret: "x".repeat(32), sessionIdleTtlMs: 60_000, maxSessions: 2, maxBodyBytes: 1024, gateway: false, appIdleTtlMs: 60_000, workspaceQuota: null },
        config,
      ),
    ).rejects.toThrow(/RUNNER_SANDBOX_UID/);
  });
});
