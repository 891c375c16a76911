import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Host-side settings of the sandbox, read from the environment once. */
export interface RunnerConfig {
  /** Unprivileged uid/gid every sandboxed process runs as. Must not be 0. */
  sandboxUid: number;
  sandboxGid: number;
  /** Absolute path of bubblewrap. */
  bwrapPath: string;
  /** Host directory holding workspaces and generated sandbox files. */
  stateDir: string;
  /** Name of the cgroup (in each hierarchy) under which per-run cgroups are created. */
  cgroupParent: string;
}

function firstExisting(candidates: string[]): string | undefined {
  return candidates.find((candidate) => existsSync(candidate));
}

function parseId(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value >= 2 ** 31) {
    throw new Error(`${name} must be a positive integer uid/gid other than 0, got "${raw}"`);
  }
  return value;
}

export function loadRunnerConfig(env: NodeJS.ProcessEnv = process.env): RunnerConfig {
  const sandboxUid = parseId("RUNNER_SANDBOX_UID", env.RUNNER_SANDBOX_UID, 64000);
  const sandboxGid = parseId("RUNNER_SANDBOX_GID", env.RUNNER_SANDBOX_GID, sandboxUid);
  const bwrapPath =
    env.RUNNER_BWRAP_PATH || firstExisting(["/usr/bin/bwrap", "/usr/local/bin/bwrap"]) || "/usr/bin/bwrap";
  const stateDir = env.RUNNER_STATE_DIR || path.join(os.tmpdir(), "autocrea-runner");
  const cgroupParent = env.RUNNER_CGROUP_PARENT || "autocrea-sandbox";
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(cgroupParent) || cgroupParent.split("/").includes("..")) {
    throw new Error(`RUNNER_CGROUP_PARENT must be a relative cgroup path, got "${cgroupParent}"`);
  }
  if (!path.isAbsolute(bwrapPath)) throw new Error(`RUNNER_BWRAP_PATH must be absolute, got "${bwrapPath}"`);
  if (!path.isAbsolute(stateDir)) throw new Error(`RUNNER_STATE_DIR must be absolute, got "${stateDir}"`);
  return { sandboxUid, sandboxGid, bwrapPath, stateDir, cgroupParent };
}

let current: RunnerConfig | undefined;

/** The process-wide configuration (from process.env on first use). */
export function getRunnerConfig(): RunnerConfig {
  current ??= loadRunnerConfig();
  return current;
}
