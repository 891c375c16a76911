import { accessSync, constants, existsSync, statSync } from "node:fs";
import { getRunnerConfig, type RunnerConfig } from "./config.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { cgroupLayout } from "./sandbox/cgroup.js";
import { launcherFilesProblem } from "./sandbox/launcher.js";
import {
  readySandboxReady,
  takeReadySandbox,
  type ReadySandbox,
} from "./sandbox/ready-pool.js";
import { runInSandbox } from "./sandbox/run.js";
import { warmLauncherReady } from "./sandbox/warm-pool.js";
import { createWorkspace, removeWorkspace } from "./sandbox/workspace.js";

export class SelfTestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelfTestError";
  }
}

export interface SelfTestReport {
  cgroupVersion: 1 | 2;
  sandboxUid: number;
  wallMs: number;
}

/** Runs inside the sandbox and reports what it can see, one `key=value` per line. */
const PROBE = [
  'echo "uid=$(id -u)"',
  'echo "gid=$(id -g)"',
  "if touch /selftest-probe 2>/dev/null; then echo root_writable=yes; else echo root_writable=no; fi",
  "if touch /workspace/.selftest-probe 2>/dev/null; then echo workspace_writable=yes; else echo workspace_writable=no; fi",
  'echo "interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" ",")"',
  "if [ -e /root ] || [ -e /home ]; then echo home_visible=yes; else echo home_visible=no; fi",
  'echo "env_count=$(env | grep -c -v -E "^(PATH|HOME|TMPDIR|LANG|USER|PWD|SHLVL|_)=")"',
  // The seccomp filter (sandbox/seccomp.ts): in force, and a denied call (unshare) fails with EPERM
  // (without it, bubblewrap's --disable-userns makes it fail with ENOSPC instead).
  'echo "seccomp=$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/self/status)"',
  'case "$(unshare --user true 2>&1)" in *"Operation not permitted"*) echo seccomp_denies=yes ;; *) echo seccomp_denies=no ;; esac',
].join("\n");

function check(condition: boolean, reason: string): void {
  if (!condition) throw new SelfTestError(reason);
}

/**
 * Builds a real sandbox and proves it is isolated. Throws SelfTestError with the reason if anything
 * is missing or not as expected; the server must then refuse to start (there is no unsandboxed mode).
 */
export async function selfTest(
  config: RunnerConfig = getRunnerConfig(),
): Promise<SelfTestReport> {
  check(
    process.getuid?.() === 0,
    "the runner must start as root: it creates cgroups and drops each sandbox to an unprivileged uid",
  );
  check(
    existsSync(config.bwrapPath),
    `bubblewrap not found at ${config.bwrapPath} (install bubblewrap or set RUNNER_BWRAP_PATH)`,
  );
  try {
    check(
      statSync(config.bwrapPath).isFile(),
      `${config.bwrapPath} is not a file`,
    );
    accessSync(config.bwrapPath, constants.X_OK);
  } catch (error) {
    if (error instanceof SelfTestError) throw error;
    throw new SelfTestError(
      `bubblewrap at ${config.bwrapPath} is not executable`,
    );
  }
  const launcher = launcherFilesProblem();
  check(launcher === null, launcher ?? "");
  let cgroupVersion: 1 | 2;
  try {
    cgroupVersion = cgroupLayout().version;
  } catch (error) {
    throw new SelfTestError((error as Error).message);
  }

  const workspace = createWorkspace(config);
  try {
    // Sandboxes start three ways: cold (a process's first run), from a warm launcher
    // (sandbox/warm-pool.ts) and in a ready sandbox (sandbox/ready-pool.ts); the first run starts
    // both pools. Prove the isolation of each.
    const cold = await probe(config, workspace.dir, "cold start");
    const warmStarted = await warmLauncherReady(config);
    if (warmStarted) await probe(config, workspace.dir, "warm start");
    if (await readySandboxReady(config)) {
      const ready = takeReadySandbox(config);
      if (ready) {
        try {
          await probe(config, ready.workspace.dir, "ready sandbox", ready);
        } finally {
          removeWorkspace(ready.workspace);
        }
      }
    }
    return {
      cgroupVersion,
      sandboxUid: config.sandboxUid,
      wallMs: cold.wallMs,
    };
  } finally {
    removeWorkspace(workspace);
  }
}

async function probe(
  config: RunnerConfig,
  workspaceDir: string,
  how: string,
  ready?: ReadySandbox,
): Promise<{ wallMs: number }> {
  const result = await runInSandbox({
    argv: ["/bin/sh", "-c", PROBE],
    workspace: workspaceDir,
    limits: { ...DEFAULT_LIMITS, wallMs: 5_000 },
    config,
    ready,
  });
  check(
    result.status === "OK",
    `the probe did not run in the sandbox (${how}; status ${result.status}${result.message ? `: ${result.message}` : ""}${
      result.stderr.trim()
        ? `; stderr: ${result.stderr.trim().slice(0, 500)}`
        : ""
    })`,
  );
  const seen = Object.fromEntries(
    result.stdout
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [
        line.slice(0, line.indexOf("=")),
        line.slice(line.indexOf("=") + 1),
      ]),
  );
  check(
    seen.uid === String(config.sandboxUid),
    `sandboxed uid is ${seen.uid}, expected ${config.sandboxUid}`,
  );
  check(
    seen.gid === String(config.sandboxGid),
    `sandboxed gid is ${seen.gid}, expected ${config.sandboxGid}`,
  );
  check(seen.root_writable === "no", "/ is writable inside the sandbox");
  check(
    seen.workspace_writable === "yes",
    "the workspace is not writable inside the sandbox",
  );
  check(
    seen.interfaces === "lo,",
    `network interfaces visible inside the sandbox: ${seen.interfaces}`,
  );
  check(
    seen.home_visible === "no",
    "/root or /home is visible inside the sandbox",
  );
  check(
    seen.env_count === "0",
    "the runner's environment leaks into the sandbox",
  );
  check(
    seen.seccomp === "2" && seen.seccomp_denies === "yes",
    `the seccomp filter is not applied inside the sandbox (${how}; Seccomp: ${seen.seccomp ?? "?"}, a denied call ${seen.seccomp_denies === "yes" ? "failed with EPERM" : "did not fail with EPERM"})`,
  );
  check(
    result.cpuMs > 0,
    "the probe's cpu time was not accounted in its cgroup",
  );
  return { wallMs: result.wallMs };
}
