import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Host-side settings of the sandbox, read from the environment once. */
export interface RunnerConfig {
  /** Unprivileged uid/gid every sandboxed process of `execute` runs as. Must not be 0. */
  sandboxUid: number;
  sandboxGid: number;
  /**
   * First of the uids (gids: the same numbers) that sessions get one each, as many as the runner
   * holds sessions (sessionUidRange): a session's processes share no per-user kernel limit with
   * another's (inotify instances and watches, mqueue bytes, …).
   */
  sessionUidBase: number;
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
  const sessionUidBase = parseId("RUNNER_SESSION_UID_BASE", env.RUNNER_SESSION_UID_BASE, 64001);
  const bwrapPath =
    env.RUNNER_BWRAP_PATH || firstExisting(["/usr/bin/bwrap", "/usr/local/bin/bwrap"]) || "/usr/bin/bwrap";
  const stateDir = env.RUNNER_STATE_DIR || path.join(os.tmpdir(), "autocrea-runner");
  const cgroupParent = env.RUNNER_CGROUP_PARENT || "autocrea-sandbox";
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(cgroupParent) || cgroupParent.split("/").includes("..")) {
    throw new Error(`RUNNER_CGROUP_PARENT must be a relative cgroup path, got "${cgroupParent}"`);
  }
  if (!path.isAbsolute(bwrapPath)) throw new Error(`RUNNER_BWRAP_PATH must be absolute, got "${bwrapPath}"`);
  if (!path.isAbsolute(stateDir)) throw new Error(`RUNNER_STATE_DIR must be absolute, got "${stateDir}"`);
  return { sandboxUid, sandboxGid, sessionUidBase, bwrapPath, stateDir, cgroupParent };
}

/** nobody: host daemons and ids unmapped in a user namespace share it. */
const NOBODY = 65534;

/**
 * The uids (and gids) of `count` sessions: `sessionUidBase` onwards. Throws when the range holds
 * the `execute` uid or gid, nobody, or runs past the largest uid.
 */
export function sessionUidRange(config: RunnerConfig, count: number): number[] {
  const first = config.sessionUidBase;
  const last = first + count - 1;
  const describe = `RUNNER_SESSION_UID_BASE ${first} with ${count} sessions (RUNNER_MAX_SESSIONS) takes uids ${first}-${last}`;
  if (last >= 2 ** 31 - 1) throw new Error(`${describe}, past the largest uid`);
  for (const [name, id] of [
    ["RUNNER_SANDBOX_UID", config.sandboxUid],
    ["RUNNER_SANDBOX_GID", config.sandboxGid],
    ["nobody", NOBODY],
  ] as const) {
    if (id >= first && id <= last) throw new Error(`${describe}, which include ${name} (${id}); move one of them`);
  }
  return Array.from({ length: count }, (_, i) => first + i);
}

let current: RunnerConfig | undefined;

/** The process-wide configuration (from process.env on first use). */
export function getRunnerConfig(): RunnerConfig {
  current ??= loadRunnerConfig();
  return current;
}
