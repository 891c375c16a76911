import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { getRunnerConfig, type RunnerConfig } from "../config.js";
import { DEFAULT_LIMITS } from "../limits.js";
import { markCgroupIdle, removeStaleCgroups, SandboxCgroup } from "./cgroup.js";
import { setHandlesReferenced } from "./child-handles.js";
import { PoolRegistry, PrestartedPool, sendRequest } from "./prestarted-pool.js";
import {
  LAUNCHER_ENV,
  launcherIdentityArgs,
  readySandboxArgs,
} from "./command.js";
import { execHelperPath, launcherPath } from "./launcher.js";
import {
  createWorkspace,
  listWorkspaces,
  removeWorkspace,
  type Workspace,
} from "./workspace.js";

/**
 * Ready sandboxes: bubblewrap started ahead of demand, through the launcher as for any run, in a
 * fresh cgroup, as the sandbox uid, with its namespaces, mounts, /tmp and /dev/shm set up and an
 * empty workspace of its own bound at /workspace. Its program is the exec helper
 * (launcher/sandbox-exec.c), blocked on a request pipe. A run takes one, writes its files into that
 * workspace from the host, and sends the helper its rlimits, directory, environment and program,
 * which the helper execs: bubblewrap's set-up (~5 ms) is then off the run's critical path.
 *
 * Nothing is shared between runs: each ready sandbox serves exactly one run and is never returned
 * to the pool, so every run still has its own namespaces, /tmp, /dev/shm, cgroup and workspace.
 * Only non-interactive runs without extra read-only binds can use one (execute.ts checks); the
 * others start from a warm launcher (warm-pool.ts) or cold.
 */

/** File descriptors of a ready sandbox: stdin, stdout, stderr, bwrap's status, helper ready, request. */
const STATUS_FD = 3;
const READY_FD = 4;
const REQUEST_FD = 5;
const POOL_SIZE = Math.max(
  0,
  Math.min(16, Number(process.env.RUNNER_READY_SANDBOXES ?? 2) || 0),
);
/** Pool stops refilling after this many sandboxes in a row die before their run (runs then start as before). */

export interface ReadySandbox {
  child: ChildProcess;
  cgroup: SandboxCgroup;
  /** The empty workspace bound at /workspace; the run's files go here. */
  workspace: Workspace;
  /** What bubblewrap has written on its status fd so far (`{"child-pid": …}` …). */
  status(): string;
  /** Sends the helper its request (execRequestArgs) and closes the pipe. */
  start(requestArgs: string[]): void;
}

interface Slot {
  child: ChildProcess;
  cgroup: SandboxCgroup;
  workspace: Workspace;
  status: string;
  ready: boolean;
  exited: boolean;
}

class ReadyPool extends PrestartedPool<Slot> {
  constructor(private readonly config: RunnerConfig) {
    super(POOL_SIZE);
    removeStaleCgroups(config.cgroupParent);
    removeStaleWorkspaces(config);
  }

  protected usable(slot: Slot): boolean {
    return slot.ready && !slot.exited && slot.child.exitCode === null && slot.child.signalCode === null;
  }

  take(): ReadySandbox | undefined {
    const index = this.idle.findIndex((slot) => this.usable(slot));
    this.refillSoon();
    if (index < 0) return undefined;
    const [slot] = this.idle.splice(index, 1);
    markCgroupIdle(slot.cgroup.name, false);
    setHandlesReferenced(slot.child, true);
    const { child, cgroup, workspace } = slot;
    return {
      child,
      cgroup,
      workspace,
      status: () => slot.status,
      start: (requestArgs) =>
        sendRequest((child.stdio as (Readable | Writable)[])[REQUEST_FD] as Writable, requestArgs),
    };
  }

  protected startOne(): void {
    if (this.closed) return;
    let cgroup: SandboxCgroup | undefined;
    let workspace: Workspace | undefined;
    let child: ChildProcess;
    try {
      cgroup = SandboxCgroup.create(DEFAULT_LIMITS, this.config.cgroupParent);
      markCgroupIdle(cgroup.name, true);
      // Named after this process, so that a later runner can remove them if it dies with them idle.
      workspace = createWorkspace(this.config, `ready-${process.pid}-`);
      child = spawn(
        launcherPath(),
        [
          ...launcherIdentityArgs(this.config, cgroup),
          ...readySandboxArgs({
            workspace: workspace.dir,
            helper: execHelperPath(),
            statusFd: STATUS_FD,
            readyFd: READY_FD,
            requestFd: REQUEST_FD,
            config: this.config,
          }),
        ],
        {
          env: { ...LAUNCHER_ENV },
          stdio: ["pipe", "pipe", "pipe", "pipe", "pipe", "pipe"],
        },
      );
    } catch {
      this.failures++;
      if (cgroup) this.discardResources(cgroup, workspace);
      return;
    }
    const slot: Slot = {
      child,
      cgroup,
      workspace,
      status: "",
      ready: false,
      exited: false,
    };
    (child.stdio[STATUS_FD] as Readable).on("data", (chunk: Buffer) => {
      slot.status += chunk.toString("utf8");
    });
    const readyPipe = child.stdio[READY_FD] as Readable;
    readyPipe.once("data", () => {
      slot.ready = true;
      this.failures = 0;
      readyPipe.destroy();
    });
    readyPipe.on("error", () => undefined);
    child.on("error", () => {
      slot.exited = true;
    });
    child.on("exit", () => {
      slot.exited = true;
      const index = this.idle.indexOf(slot);
      if (index >= 0) {
        // Died before its run (it never ran anything): drop it, its cgroup and its workspace.
        this.idle.splice(index, 1);
        this.failures++;
        this.discardResources(slot.cgroup, slot.workspace);
      }
    });
    setHandlesReferenced(child, false);
    this.idle.push(slot);
  }

  private discardResources(cgroup: SandboxCgroup, workspace?: Workspace): void {
    markCgroupIdle(cgroup.name, false);
    void cgroup
      .remove()
      .catch(() => undefined)
      .then(() => {
        if (workspace) removeWorkspace(workspace);
      });
  }

  /** Ends the idle sandboxes (their helper never ran anything) and removes their cgroups and workspaces. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.idle.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        slot.child.kill("SIGKILL");
        markCgroupIdle(slot.cgroup.name, false);
        await slot.cgroup.remove().catch(() => undefined);
        removeWorkspace(slot.workspace);
      }),
    );
  }
}

/**
 * Removes the workspaces of ready sandboxes whose runner process no longer exists (e.g. a runner
 * that was stopped with sandboxes still idle). Those of live runners are left alone.
 */
function removeStaleWorkspaces(config: RunnerConfig): void {
  let workspaces: Workspace[];
  try {
    workspaces = listWorkspaces(config);
  } catch {
    return;
  }
  for (const workspace of workspaces) {
    const owner = /^ready-(\d+)-/.exec(path.basename(workspace.dir))?.[1];
    if (!owner || Number(owner) === process.pid || existsSync(`/proc/${owner}`))
      continue;
    try {
      removeWorkspace(workspace);
    } catch {
      // already gone
    }
  }
}

const pools = new PoolRegistry(
  (config) => [config.sandboxUid, config.sandboxGid, config.cgroupParent, config.stateDir, config.bwrapPath],
  (config) => new ReadyPool(config),
);

/**
 * A ready sandbox for this configuration, or undefined (none ready yet, or disabled with
 * RUNNER_READY_SANDBOXES=0): the run then starts as before. Taking one refills the pool.
 * The caller owns it from now on: its cgroup (removed by the run) and its workspace.
 */
export function takeReadySandbox(
  config: RunnerConfig = getRunnerConfig(),
): ReadySandbox | undefined {
  if (POOL_SIZE === 0) return undefined;
  return pools.get(config).take();
}

/**
 * Waits (up to `timeoutMs`) until a ready sandbox exists for this configuration. False when ready
 * sandboxes are disabled or could not be started.
 */
export async function readySandboxReady(
  config: RunnerConfig = getRunnerConfig(),
  timeoutMs = 2_000,
): Promise<boolean> {
  if (POOL_SIZE === 0) return false;
  return pools.get(config).ready(timeoutMs);
}

/** Stops every ready pool (tests, shutdown). */
export async function closeReadyPools(): Promise<void> {
  await pools.closeAll();
}
