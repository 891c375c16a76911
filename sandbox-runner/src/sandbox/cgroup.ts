import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { getRunnerConfig } from "../config.js";

/**
 * Per-run cgroups: memory and pids limits, cpu accounting, and a reliable
 * "kill everything" (freeze → kill all → thaw, or cgroup.kill on v2).
 * Works with cgroup v1 (one hierarchy per controller) and v2 (unified), detected once.
 */

export type CgroupLayout =
  | {
      version: 1;
      memory: string;
      pids: string;
      cpuacct: string;
      freezer: string;
    }
  | { version: 2; root: string };

const V1_CONTROLLERS = ["memory", "pids", "cpuacct", "freezer"] as const;

function readMounts(): {
  mountPoint: string;
  type: string;
  options: string[];
}[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [, mountPoint, type, options] = line.split(" ");
      return {
        mountPoint: mountPoint.replace(/\\040/g, " "),
        type,
        options: options.split(","),
      };
    });
}

/** Finds the cgroup hierarchies to use. Prefers v1 controllers where mounted (hybrid hosts), else v2. */
export function detectCgroupLayout(): CgroupLayout {
  const mounts = readMounts();
  const v1: Partial<Record<(typeof V1_CONTROLLERS)[number], string>> = {};
  for (const mount of mounts) {
    if (mount.type !== "cgroup") continue;
    for (const controller of V1_CONTROLLERS) {
      if (mount.options.includes(controller))
        v1[controller] ??= mount.mountPoint;
    }
  }
  if (v1.memory && v1.pids && v1.cpuacct && v1.freezer) {
    return {
      version: 1,
      memory: v1.memory,
      pids: v1.pids,
      cpuacct: v1.cpuacct,
      freezer: v1.freezer,
    };
  }
  for (const mount of mounts) {
    if (mount.type !== "cgroup2") continue;
    const controllersFile = path.join(mount.mountPoint, "cgroup.controllers");
    if (!existsSync(controllersFile)) continue;
    const controllers = readFileSync(controllersFile, "utf8")
      .trim()
      .split(/\s+/);
    if (controllers.includes("memory") && controllers.includes("pids")) {
      return { version: 2, root: mount.mountPoint };
    }
  }
  const missing = V1_CONTROLLERS.filter((controller) => !v1[controller]);
  throw new Error(
    `no usable cgroup hierarchy: cgroup v1 lacks ${missing.join(", ")} and no cgroup v2 mount offers memory and pids`,
  );
}

let layout: CgroupLayout | undefined;
const preparedParents = new Set<string>();

export function cgroupLayout(): CgroupLayout {
  layout ??= detectCgroupLayout();
  return layout;
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException)?.code;
}

function writeControl(dir: string, file: string, value: string): void {
  writeFileSync(path.join(dir, file), value);
}

function tryWriteControl(dir: string, file: string, value: string): boolean {
  try {
    writeControl(dir, file, value);
    return true;
  } catch {
    return false;
  }
}

function readControl(dir: string, file: string): string {
  return readFileSync(path.join(dir, file), "utf8");
}

function readKeyedNumber(dir: string, file: string, key: string): number {
  try {
    const match = readControl(dir, file).match(
      new RegExp(`^${key} (\\d+)$`, "m"),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** v2: a parent can only hand controllers to children if it holds no processes itself (except the real root). */
function enableV2Controllers(root: string, parentDir: string): void {
  const wanted = ["memory", "pids", "cpu"].filter((c) =>
    readControl(root, "cgroup.controllers").split(/\s+/).includes(c),
  );
  const enable = (dir: string) =>
    writeControl(
      dir,
      "cgroup.subtree_control",
      wanted.map((c) => `+${c}`).join(" "),
    );
  try {
    enable(root);
  } catch (error) {
    if (errno(error) !== "EBUSY") throw error;
    // A namespaced root with processes in it (typical container): move them into a leaf first.
    const leaf = path.join(root, "runner");
    mkdirSync(leaf, { recursive: true });
    for (const pid of readControl(root, "cgroup.procs")
      .split("\n")
      .filter(Boolean)) {
      tryWriteControl(leaf, "cgroup.procs", pid);
    }
    enable(root);
  }
  let dir = root;
  for (const part of path.relative(root, parentDir).split("/")) {
    dir = path.join(dir, part);
    mkdirSync(dir, { recursive: true });
    enable(dir);
  }
}

function parentDirs(current: CgroupLayout, parent: string): string[] {
  return current.version === 1
    ? V1_CONTROLLERS.map((controller) => path.join(current[controller], parent))
    : [path.join(current.root, parent)];
}

function prepareParent(current: CgroupLayout, parent: string): void {
  if (preparedParents.has(parent)) return;
  if (current.version === 1) {
    for (const dir of parentDirs(current, parent))
      mkdirSync(dir, { recursive: true });
  } else {
    enableV2Controllers(current.root, path.join(current.root, parent));
  }
  preparedParents.add(parent);
}

let counter = 0;

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
}

export class SandboxCgroup {
  private removed = false;

  private constructor(
    readonly name: string,
    private readonly layout: CgroupLayout,
    /** One directory per hierarchy (v1) or the single v2 directory. */
    readonly dirs: string[],
  ) {}

  /** Creates the cgroup(s) with the given limits. Throws (never silently continues) if a limit cannot be set. */
  static create(
    limits: CgroupLimits,
    parent = getRunnerConfig().cgroupParent,
  ): SandboxCgroup {
    const current = cgroupLayout();
    prepareParent(current, parent);
    const name = `${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
    const dirs = parentDirs(current, parent).map((dir) => path.join(dir, name));
    const cgroup = new SandboxCgroup(name, current, dirs);
    try {
      for (const dir of dirs) mkdirSync(dir);
      cgroup.setLimits(limits);
    } catch (error) {
      cgroup.removeDirs();
      throw new Error(
        `cannot create sandbox cgroup ${name}: ${(error as Error).message}`,
      );
    }
    return cgroup;
  }

  /**
   * Sets the memory and pids limits. Throws (never silently continues) if one cannot be set.
   * Also used on a warm cgroup (warm-pool.ts) just before its run, while only the idle launcher is in it.
   */
  setLimits(limits: CgroupLimits): void {
    if (this.layout.version === 1) {
      const [memory, pids] = this.dirs;
      // memory.limit_in_bytes may not exceed memory.memsw.limit_in_bytes: order the writes accordingly.
      const memswFirst = tryWriteControl(
        memory,
        "memory.memsw.limit_in_bytes",
        String(limits.memoryBytes),
      );
      writeControl(memory, "memory.limit_in_bytes", String(limits.memoryBytes));
      // Without swap accounting this file is absent; with it, stop the tree from swapping past the limit.
      if (!memswFirst)
        tryWriteControl(
          memory,
          "memory.memsw.limit_in_bytes",
          String(limits.memoryBytes),
        );
      writeControl(pids, "pids.max", String(limits.pids));
    } else {
      const [dir] = this.dirs;
      writeControl(dir, "memory.max", String(limits.memoryBytes));
      tryWriteControl(dir, "memory.swap.max", "0");
      tryWriteControl(dir, "memory.oom.group", "1");
      writeControl(dir, "pids.max", String(limits.pids));
    }
  }

  /**
   * Starts the accounting of a run afresh in a warm cgroup: cpu usage and the memory high-water mark
   * then cover the run only (on v2, where usage cannot be reset, a baseline is subtracted instead).
   */
  resetAccounting(): void {
    if (this.layout.version === 1) {
      writeControl(this.cpuDir, "cpuacct.usage", "0");
      writeControl(this.memoryDir, "memory.max_usage_in_bytes", "0");
    } else {
      this.cpuBaselineUsec = readKeyedNumber(
        this.cpuDir,
        "cpu.stat",
        "usage_usec",
      );
      // memory.peak is resettable from Linux 6.12; older kernels keep the (tiny) idle launcher's peak.
      tryWriteControl(this.memoryDir, "memory.peak", "0");
    }
  }

  private cpuBaselineUsec = 0;

  /** Files a process writes its own pid into to join this cgroup (all hierarchies). */
  get procsFiles(): string[] {
    return this.dirs.map((dir) => path.join(dir, "cgroup.procs"));
  }

  private get memoryDir(): string {
    return this.dirs[0];
  }

  private get cpuDir(): string {
    return this.layout.version === 1 ? this.dirs[2] : this.dirs[0];
  }

  /** CPU time used by every process that ever ran in the cgroup. */
  cpuUsageMs(): number {
    try {
      if (this.layout.version === 1)
        return Number(readControl(this.cpuDir, "cpuacct.usage").trim()) / 1e6;
      return (
        (readKeyedNumber(this.cpuDir, "cpu.stat", "usage_usec") -
          this.cpuBaselineUsec) /
        1e3
      );
    } catch {
      return 0;
    }
  }

  /** Highest memory usage seen (v2 kernels without memory.peak report the current usage). */
  peakMemoryBytes(): number {
    try {
      if (this.layout.version === 1)
        return Number(
          readControl(this.memoryDir, "memory.max_usage_in_bytes").trim(),
        );
      const peakFile = existsSync(path.join(this.memoryDir, "memory.peak"))
        ? "memory.peak"
        : "memory.current";
      return Number(readControl(this.memoryDir, peakFile).trim());
    } catch {
      return 0;
    }
  }

  /** Whether the kernel OOM-killed anything in the cgroup. */
  oomKilled(): boolean {
    if (this.layout.version === 1)
      return (
        readKeyedNumber(this.memoryDir, "memory.oom_control", "oom_kill") > 0
      );
    return readKeyedNumber(this.memoryDir, "memory.events", "oom_kill") > 0;
  }

  /** Host pids of processes currently in the cgroup (any hierarchy). */
  pids(): number[] {
    const found = new Set<number>();
    for (const dir of this.dirs) {
      try {
        for (const line of readControl(dir, "cgroup.procs").split("\n"))
          if (line) found.add(Number(line));
      } catch {
        // directory already gone
      }
    }
    return [...found];
  }

  exists(): boolean {
    return this.dirs.some((dir) => existsSync(dir));
  }

  /** Kills every process in the cgroup without giving any a chance to fork away, and waits until it is empty. */
  async killAll(): Promise<void> {
    if (!this.exists()) return;
    if (
      this.layout.version === 2 &&
      tryWriteControl(this.dirs[0], "cgroup.kill", "1")
    ) {
      await this.waitEmpty();
      return;
    }
    const freezerDir = this.layout.version === 1 ? this.dirs[3] : this.dirs[0];
    const [stateFile, frozen, thawed] =
      this.layout.version === 1
        ? ["freezer.state", "FROZEN", "THAWED"]
        : ["cgroup.freeze", "1", "0"];
    for (let round = 0; round < 50 && this.pids().length > 0; round++) {
      tryWriteControl(freezerDir, stateFile, frozen);
      await this.waitFrozen(freezerDir);
      for (const pid of this.pids()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already exited
        }
      }
      tryWriteControl(freezerDir, stateFile, thawed);
      await this.waitEmpty(200);
    }
    await this.waitEmpty();
  }

  private async waitFrozen(freezerDir: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (this.pids().length === 0) return;
      try {
        const state =
          this.layout.version === 1
            ? readControl(freezerDir, "freezer.state").trim()
            : readKeyedNumber(freezerDir, "cgroup.events", "frozen") === 1
              ? "FROZEN"
              : "FREEZING";
        if (state === "FROZEN") return;
      } catch {
        return;
      }
      await sleep(1);
    }
  }

  private async waitEmpty(maxMs = 5000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.pids().length > 0 && Date.now() < deadline) await sleep(2);
  }

  private removeDirs(): boolean {
    let allGone = true;
    for (const dir of this.dirs) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if (errno(error) !== "ENOENT") allGone = false;
      }
    }
    return allGone;
  }

  /**
   * Gives processes that are already exiting a brief moment to leave by themselves. When a run ends,
   * bubblewrap's pid-1 helper is often still on its way out (killed as its parent exits); waiting
   * a fraction of a millisecond for it is cheaper than the freeze/kill/thaw round with its sleeps.
   */
  private async settle(maxMs = 3): Promise<void> {
    const deadline = performance.now() + maxMs;
    while (this.pids().length > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Kills whatever is left and removes the cgroup. Safe to call twice. */
  async remove(): Promise<void> {
    if (this.removed) return;
    await this.settle();
    await this.killAll();
    for (let attempt = 0; attempt < 100; attempt++) {
      if (this.removeDirs()) {
        this.removed = true;
        return;
      }
      await this.killAll();
      await sleep(5);
    }
    throw new Error(
      `sandbox cgroup ${this.name} could not be removed (processes still in it: ${this.pids().join(", ")})`,
    );
  }
}

/** Warm cgroups (warm-pool.ts, ready-pool.ts) waiting for a run: they exist on purpose, so they are not leaks. */
const idleWarmCgroups = new Set<string>();

export function markCgroupIdle(name: string, idle: boolean): void {
  if (idle) idleWarmCgroups.add(name);
  else idleWarmCgroups.delete(name);
}

export function isIdleCgroup(name: string): boolean {
  return idleWarmCgroups.has(name);
}

/** Per-run cgroups created by this process that still exist (should be empty between runs). */
export function leakedCgroups(
  parent = getRunnerConfig().cgroupParent,
): string[] {
  const current = cgroupLayout();
  const prefix = `${process.pid}-`;
  const leaked = new Set<string>();
  for (const dir of parentDirs(current, parent)) {
    try {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (
          entry.isDirectory() &&
          entry.name.startsWith(prefix) &&
          !idleWarmCgroups.has(entry.name)
        )
          leaked.add(entry.name);
      }
    } catch {
      // parent not created yet: nothing leaked
    }
  }
  return [...leaked];
}

/**
 * Removes empty per-run cgroups left by runner processes that no longer exist (e.g. warm cgroups of a
 * runner that was killed). Cgroups that still hold processes are left alone.
 */
export function removeStaleCgroups(
  parent = getRunnerConfig().cgroupParent,
): void {
  let current: CgroupLayout;
  try {
    current = cgroupLayout();
  } catch {
    return;
  }
  for (const dir of parentDirs(current, parent)) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of entries) {
      const owner = /^(\d+)-/.exec(name)?.[1];
      if (
        !owner ||
        Number(owner) === process.pid ||
        existsSync(`/proc/${owner}`)
      )
        continue;
      try {
        rmdirSync(path.join(dir, name));
      } catch {
        // not empty or already gone
      }
    }
  }
}
