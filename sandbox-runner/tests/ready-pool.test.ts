import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../src/config";
import { execute } from "../src/execute";
import { DEFAULT_LIMITS, type Limits } from "../src/limits";
import { leakedCgroups, type SandboxCgroup } from "../src/sandbox/cgroup";
import {
  readySandboxReady,
  takeReadySandbox,
  type ReadySandbox,
} from "../src/sandbox/ready-pool";
import { runInSandbox, type RunResult } from "../src/sandbox/run";
import { closeWarmPools } from "../src/sandbox/warm-pool";
import {
  createWorkspace,
  removeWorkspace,
  writeWorkspaceFile,
} from "../src/sandbox/workspace";

/** Ready sandboxes (src/sandbox/ready-pool.ts): bubblewrap started before the run, one run each. */
const config = loadRunnerConfig({
  ...process.env,
  RUNNER_SANDBOX_UID: "64124",
  RUNNER_SANDBOX_GID: "64124",
  RUNNER_CGROUP_PARENT: "autocrea-sandbox-ready",
});
const BASH = "/usr/bin/bash";

async function takeReady(): Promise<ReadySandbox> {
  expect(await readySandboxReady(config)).toBe(true);
  const ready = takeReadySandbox(config);
  expect(ready).toBeDefined();
  return ready!;
}

/** Runs a bash script in `ready`; returns the result and the cgroup the run used. */
async function runIn(
  ready: ReadySandbox,
  script: string,
  limits: Partial<Limits> = {},
): Promise<{ result: RunResult; cgroup: SandboxCgroup }> {
  writeWorkspaceFile(ready.workspace, "run.sh", script, config);
  let cgroup: SandboxCgroup | undefined;
  try {
    const result = await runInSandbox({
      argv: [BASH, "run.sh"],
      workspace: ready.workspace.dir,
      limits: { ...DEFAULT_LIMITS, wallMs: 5_000, ...limits },
      config,
      ready,
      onCgroup: (created) => (cgroup = created),
    });
    expect(cgroup!.exists()).toBe(false);
    return { result, cgroup: cgroup! };
  } finally {
    removeWorkspace(ready.workspace);
  }
}

/** pid 1 of a ready sandbox is bubblewrap started with the exec helper as its program. */
const STARTED_READY =
  'tr "\\0" " " < /proc/1/cmdline | grep -q sandbox-exec && echo ready-sandbox || echo other';

afterEach(() => {
  expect(leakedCgroups(config.cgroupParent)).toEqual([]);
});

afterAll(async () => {
  await closeWarmPools();
});

describe("ready sandboxes", () => {
  it("run the program with the run's limits, environment and directory, and nothing else open", async () => {
    const ready = await takeReady();
    const { result, cgroup } = await runIn(
      ready,
      [
        STARTED_READY,
        'echo "limits $(ulimit -t) $(ulimit -f) $(ulimit -n) $(ulimit -c)"',
        'echo "ids $(id -u):$(id -g) $(pwd)"',
        // bubblewrap's pid 1 runs as the same uid: it has the run's limits too.
        'limits() { grep -E "^Max (cpu time|file size|open files|core file size)" "$1"; }',
        '[ "$(limits /proc/1/limits)" = "$(limits /proc/self/limits)" ] && echo pid1-limits-same',
        'echo "env $(env | grep -v -E "^(PWD|SHLVL|_)=" | sort | tr "\\n" " ")"',
        // Only stdin, stdout and stderr are sockets from the runner: not the helper's request or ready pipe.
        'echo "runner sockets $(ls -l /proc/$$/fd | grep -c socket:)"',
        'for fd in 4 5; do [ -e /proc/$$/fd/$fd ] && echo "fd $fd open"; done; true',
      ].join("\n"),
      { cpuMs: 2_000, fileSizeBytes: 1024 * 1024, nofile: 64 },
    );
    expect(result.status).toBe("OK");
    expect(cgroup.name).toBe(ready.cgroup.name);
    expect(result.stdout).toContain("ready-sandbox\n");
    expect(result.stdout).toContain("limits 3 1024 64 0\n");
    expect(result.stdout).toContain("pid1-limits-same\n");
    expect(result.stdout).toContain(
      `ids ${config.sandboxUid}:${config.sandboxGid} /workspace\n`,
    );
    expect(result.stdout).toContain(
      "env HOME=/workspace LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin TMPDIR=/tmp USER=sandbox \n",
    );
    expect(result.stdout).toContain("runner sockets 3\n");
    expect(result.stdout).not.toMatch(/^fd \d open$/m);
  });

  it("are never reused: each has its own cgroup, workspace and process, and is gone after its run", async () => {
    const seen = new Set<string>();
    for (let run = 0; run < 4; run++) {
      const ready = await takeReady();
      const key = `${ready.cgroup.name} ${ready.workspace.dir} ${ready.child.pid}`;
      expect(seen.has(key)).toBe(false);
      for (const previous of seen)
        for (const part of key.split(" "))
          expect(previous.split(" ")).not.toContain(part);
      seen.add(key);
      const { result } = await runIn(ready, "echo ok");
      expect(result.stdout).toBe("ok\n");
      expect(ready.child.exitCode ?? ready.child.signalCode).not.toBeNull();
      expect(existsSync(ready.workspace.dir)).toBe(false);
    }
  });

  it("two consecutive runs see different /tmp and /dev/shm", async () => {
    const first = await runIn(
      await takeReady(),
      "echo one > /tmp/mark && echo one > /dev/shm/mark && cat /tmp/mark /dev/shm/mark",
    );
    expect(first.result.stdout).toBe("one\none\n");
    const second = await runIn(
      await takeReady(),
      "ls -A /tmp /dev/shm; cat /tmp/mark /dev/shm/mark 2>&1 || true",
    );
    expect(second.result.stdout).not.toMatch(/^one$/m);
    expect(second.result.stdout).toMatch(/No such file/);
  });

  it("a ready sandbox that died falls back to a fresh start in the same workspace", async () => {
    const ready = await takeReady();
    ready.child.kill("SIGKILL");
    await once(ready.child, "exit");
    const { result, cgroup } = await runIn(
      ready,
      `${STARTED_READY}\ncat run.sh > /dev/null && echo workspace-ok`,
    );
    expect(result.status).toBe("OK");
    expect(result.stdout).toBe("other\nworkspace-ok\n");
    expect(cgroup.name).not.toBe(ready.cgroup.name);
    expect(ready.cgroup.exists()).toBe(false);
  });

  it("a program that cannot be executed is a runtime error, with nothing left behind", async () => {
    const ready = await takeReady();
    try {
      let cgroup: SandboxCgroup | undefined;
      const result = await runInSandbox({
        argv: ["/workspace/missing"],
        workspace: ready.workspace.dir,
        limits: DEFAULT_LIMITS,
        config,
        ready,
        onCgroup: (created) => (cgroup = created),
      });
      expect(result.status).toBe("RE");
      expect(result.stderr).toMatch(/cannot run \/workspace\/missing/);
      expect(cgroup!.exists()).toBe(false);
    } finally {
      removeWorkspace(ready.workspace);
    }
  });

  it("a wall timeout kills everything in the ready sandbox's cgroup", async () => {
    const { result } = await runIn(
      await takeReady(),
      "sleep 60 & setsid sleep 60 & wait",
      { wallMs: 500 },
    );
    expect(result.status).toBe("TO");
  });

  it("execute() runs a single-stage program in one, and each execution in a fresh one", async () => {
    await readySandboxReady();
    const request = {
      language: "bash",
      files: [
        {
          path: "main.sh",
          content: `${STARTED_READY}\nls -A /tmp; echo x > /tmp/mark`,
        },
      ],
    };
    const first = await execute(request);
    expect(first.run?.stdout).toBe("ready-sandbox\n");
    await readySandboxReady();
    const second = await execute(request);
    expect(second.run?.stdout).toBe("ready-sandbox\n");
    expect(leakedCgroups()).toEqual([]);
  });

  it("a new pool removes idle workspaces left by a runner that no longer exists", async () => {
    const stale = createWorkspace(config, "ready-999999999-");
    const other = loadRunnerConfig({
      ...process.env,
      RUNNER_SANDBOX_UID: "64124",
      RUNNER_SANDBOX_GID: "64124",
      RUNNER_CGROUP_PARENT: "autocrea-sandbox-ready-2",
    });
    try {
      expect(await readySandboxReady(other)).toBe(true);
      expect(existsSync(stale.dir)).toBe(false);
    } finally {
      removeWorkspace(stale);
      await closeWarmPools();
    }
  });

  it("closing the pool removes the idle sandboxes' cgroups and workspaces", async () => {
    const workspacesOfUid = () =>
      readdirSync(path.join(config.stateDir, "ws")).filter(
        (name) =>
          statSync(path.join(config.stateDir, "ws", name)).uid ===
          config.sandboxUid,
      );
    expect(await readySandboxReady(config)).toBe(true);
    expect(workspacesOfUid().length).toBeGreaterThan(0);
    await closeWarmPools();
    expect(leakedCgroups(config.cgroupParent)).toEqual([]);
    expect(workspacesOfUid()).toEqual([]);
  });
});
