import { spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { getRunnerConfig, type RunnerConfig } from "../config.js";
import { DEFAULT_LIMITS } from "../limits.js";
import { markCgroupIdle, removeStaleCgroups, SandboxCgroup } from "./cgroup.js";
import { LAUNCHER_ENV, launcherIdentityArgs } from "./command.js";
import { launcherPath } from "./launcher.js";
import { setHandlesReferenced } from "./child-handles.js";
import { PoolRegistry, PrestartedPool, sendRequest } from "./prestarted-pool.js";
import { closeReadyPools } from "./ready-pool.js";

/**
 * A few launchers started ahead of demand, each already in its own fresh cgroup and blocked on a
 * request pipe, still root and running nothing else (see launcher/sandbox-launch.c, warm mode).
 * Starting a process and moving it into a cgroup (an RCU grace period on cgroup v1) then happen
 * off the critical path of a run. Nothing is shared between runs: a warm launcher is handed to
 * exactly one run, which sends it the complete run (rlimits, bubblewrap and program); it then drops
 * its privileges and starts a fresh bubblewrap (fresh namespaces, fresh /tmp) like a cold start.
 * Its cgroup gets the run's limits and fresh accounting before the request is sent.
 */

/** File descriptors of a warm launcher: stdin, stdout, stderr, bwrap's status, the request. */
export const WARM_STATUS_FD = 3;
const REQUEST_FD = 4;
const POOL_SIZE = Math.max(
  0,
  Math.min(16, Number(process.env.RUNNER_WARM_SANDBOXES ?? 2) || 0),
);

export interface WarmLauncher {
  child: ChildProcess;
  cgroup: SandboxCgroup;
  /** Sends the run (launcher arguments after the identity: `--cpu … -- bwrap … -- program…`) and closes the pipe. */
  start(runArgs: string[]): void;
}

interface Idle {
  child: ChildProcess;
  cgroup: SandboxCgroup;
  exited: boolean;
}

class WarmPool extends PrestartedPool<Idle> {
  constructor(private readonly config: RunnerConfig) {
    super(POOL_SIZE);
    removeStaleCgroups(config.cgroupParent);
  }

  protected usable(slot: Idle): boolean {
    return !slot.exited && slot.child.exitCode === null && slot.child.signalCode === null;
  }

  take(): WarmLauncher | undefined {
    let slot: Idle | undefined;
    while ((slot = this.idle.shift())) {
      if (this.usable(slot)) break;
    }
    this.refillSoon();
    if (!slot) return undefined;
    markCgroupIdle(slot.cgroup.name, false);
    setHandlesReferenced(slot.child, true);
    const { child, cgroup } = slot;
    return {
      child,
      cgroup,
      start: (runArgs) => sendRequest(child.stdio[REQUEST_FD] as Writable, runArgs),
    };
  }

  protected startOne(): void {
    if (this.closed) return;
    let cgroup: SandboxCgroup;
    try {
      cgroup = SandboxCgroup.create(DEFAULT_LIMITS, this.config.cgroupParent);
    } catch {
      this.failures++;
      return;
    }
    markCgroupIdle(cgroup.name, true);
    let child: ChildProcess;
    try {
      child = spawn(
        launcherPath(),
        [
          ...launcherIdentityArgs(this.config, cgroup),
          "--wait-fd",
          String(REQUEST_FD),
        ],
        {
          env: { ...LAUNCHER_ENV },
          stdio: ["pipe", "pipe", "pipe", "pipe", "pipe"],
        },
      );
    } catch {
      this.failures++;
      markCgroupIdle(cgroup.name, false);
      void cgroup.remove();
      return;
    }
    const slot: Idle = { child, cgroup, exited: false };
    child.on("error", () => {
      slot.exited = true;
    });
    child.on("exit", () => {
      slot.exited = true;
      const index = this.idle.indexOf(slot);
      if (index >= 0) {
        // Died while idle (it never ran anything): drop it and its cgroup.
        this.idle.splice(index, 1);
        this.failures++;
        markCgroupIdle(cgroup.name, false);
        void cgroup.remove().catch(() => undefined);
      }
    });
    setHandlesReferenced(child, false);
    this.failures = 0;
    this.idle.push(slot);
  }

  /** Ends the idle launchers (they exit without running anything) and removes their cgroups. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.idle.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        (slot.child.stdio[REQUEST_FD] as Writable).destroy();
        slot.child.kill("SIGKILL");
        markCgroupIdle(slot.cgroup.name, false);
        await slot.cgroup.remove().catch(() => undefined);
      }),
    );
  }
}

const pools = new PoolRegistry(
  (config) => [config.sandboxUid, config.sandboxGid, config.cgroupParent],
  (config) => new WarmPool(config),
);

/**
 * A warm launcher for this configuration, or undefined (pool empty or disabled with
 * RUNNER_WARM_SANDBOXES=0): the caller then starts a launcher cold. Taking one refills the pool.
 */
export function takeWarmLauncher(
  config: RunnerConfig = getRunnerConfig(),
): WarmLauncher | undefined {
  if (POOL_SIZE === 0) return undefined;
  return pools.get(config).take();
}

/**
 * Waits (up to `timeoutMs`) until a warm launcher is ready for this configuration. False when warm
 * launchers are disabled or could not be started (runs then start cold).
 */
export async function warmLauncherReady(
  config: RunnerConfig = getRunnerConfig(),
  timeoutMs = 2_000,
): Promise<boolean> {
  if (POOL_SIZE === 0) return false;
  return pools.get(config).ready(timeoutMs);
}

/** Stops every warm pool and ready pool (ready-pool.ts) (tests, shutdown). */
export async function closeWarmPools(): Promise<void> {
  await Promise.all([pools.closeAll(), closeReadyPools()]);
}
