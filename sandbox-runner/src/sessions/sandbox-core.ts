import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { RunnerConfig } from "../config";
import { MAX_LIMITS, resolveLimits, type Limits } from "../limits";
import type { Logger } from "../log";
import { HttpError } from "../server/http-error";
import { SandboxCgroup } from "../sandbox/cgroup";
import { sandboxCommand } from "../sandbox/command";
import { runInSandbox, type RunResult } from "../sandbox/run";
import {
  createWorkspace,
  normalizeWorkspacePath,
  readWorkspaceFile,
  removeWorkspaceInBackground,
  WorkspacePathError,
  writeWorkspaceFile,
} from "../sandbox/workspace";
import type { PackageGateway } from "../gateway/gateway";
import {
  mountQuotaVolume,
  unmountQuotaVolume,
  workspaceFull,
  workspaceFullNotice,
  type WorkspaceQuota,
} from "../sandbox/quota-volume";
import { AppProcess } from "./app-process";
import type { SessionSandbox } from "./sandbox";

/**
 * A terminal is interactive and long-lived: no wall clock, and RLIMIT_CPU
 * (per process) generous enough for an install or a build. Memory and pids
 * still bound the whole shell tree through its cgroup.
 */
export const TERMINAL_LIMITS: Readonly<Limits> = Object.freeze({
  ...MAX_LIMITS,
  cpuMs: 30 * 60_000,
  memoryBytes: 1024 * 1024 * 1024,
  pids: 256,
});

const TERMINAL_SHELL = ["/bin/bash", "--login", "-i"];

/** Paths in a request that could leave the workspace are the client's mistake: 400. */
function asRequestError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof WorkspacePathError) throw new HttpError(400, "invalid_path", error.message);
    throw error;
  }
}

/**
 * Every uid a live process has (real, effective, saved or filesystem). Zombies hold no file,
 * watch or memory (a sandbox's bubblewrap can wait a moment for PID 1 to reap it): not counted.
 */
async function uidsInUse(): Promise<Set<number>> {
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  const statuses = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/status`, "utf8").catch(() => "")), // "": exited meanwhile
  );
  const used = new Set<number>();
  for (const status of statuses) {
    if (/^State:\s+Z/m.test(status)) continue;
    const ids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status);
    for (const id of ids?.slice(1) ?? []) used.add(Number(id));
  }
  return used;
}

/**
 * The sessions' uids, one per live session. A freed uid goes to the back of the queue and is only
 * handed out again when no process has it: per-user kernel counts (inotify instances, processes…)
 * last as long as the processes do, and a new session must start from zero.
 */
class SessionUids {
  private readonly free: number[];

  constructor(uids: number[]) {
    this.free = [...uids];
  }

  async take(): Promise<number> {
    const used = await uidsInUse();
    const index = this.free.findIndex((uid) => !used.has(uid));
    if (index < 0) {
      throw new HttpError(503, "no_free_uid", "Every session uid is taken or still has processes; try again shortly.");
    }
    return this.free.splice(index, 1)[0]!;
  }

  release(uid: number): void {
    this.free.push(uid);
  }
}

/** Deletes each path on its own, so that a failure names its path (on stdout, NUL-ended); rm says why on stderr. */
const DELETE_SCRIPT = 'for p do /bin/rm -rf -- "$p" || printf "%s\\0" "$p"; done';

export interface SessionSandboxOptions {
  /** The uids (gids: the same numbers) sessions get, one each (sessionUidRange). */
  uids: number[];
  /** The package gateway: each session gets a door to it. Without one, sessions reach nothing. */
  gateway?: PackageGateway;
  /** Each workspace is a volume of this size and inode count; none: workspaces share the state directory's disk. */
  quota?: WorkspaceQuota | null;
  logger?: Logger;
}

/**
 * SessionSandbox on the isolation core in src/sandbox. Each session runs as a uid of its own (not
 * the `execute` uid), so that no per-user kernel limit is shared between sessions.
 */
export function createSessionSandbox(
  config: RunnerConfig,
  options: SessionSandboxOptions,
): SessionSandbox {
  const uids = new SessionUids(options.uids);
  const quota = options.quota ?? null;
  const removeVolumeAndWorkspace = async (dir: string) => {
    if (quota) await unmountQuotaVolume(config.stateDir, dir);
    await removeWorkspaceInBackground({ dir });
  };
  /** A command or write that ran out of space is told why, after its own error. */
  const outOfSpace = async (dir: string) => (quota && (await workspaceFull(dir)) ? workspaceFullNotice(quota) : "");
  const configs = new Map<number, RunnerConfig>();
  /**
   * The runner configuration with the session's uid: the workspace's owner, the launcher's
   * identity and the sandbox's /etc/passwd (sandbox-etc.ts, prepared once per uid) follow it.
   * Warm launchers are pooled per configuration (prestarted-pool.ts) and already run as the
   * `execute` uid, so session runs start cold (`warmLauncher: false`) rather than keep a pool
   * per session.
   */
  const configFor = (uid: number): RunnerConfig => {
    let own = configs.get(uid);
    if (!own) {
      own = { ...config, sandboxUid: uid, sandboxGid: uid };
      configs.set(uid, own);
    }
    return own;
  };

  return {
    async createWorkspace() {
      const uid = await uids.take();
      let dir: string | undefined;
      try {
        dir = createWorkspace(configFor(uid), `session-${process.pid}-`).dir;
        if (quota) await mountQuotaVolume(config.stateDir, dir, quota, { uid, gid: uid });
        const gatewaySocket = await options.gateway?.openDoor(path.basename(dir), uid, uid);
        return { dir, uid, gatewaySocket };
      } catch (error) {
        if (dir) await removeVolumeAndWorkspace(dir);
        uids.release(uid);
        throw error;
      }
    },

    async removeWorkspace({ dir, uid }) {
      try {
        await options.gateway?.closeDoor(path.basename(dir));
        await removeVolumeAndWorkspace(dir);
      } finally {
        uids.release(uid);
      }
    },

    async writeFiles({ dir, uid }, { files, deletes }, signal) {
      const normalizedDeletes = asRequestError(() => deletes.map(normalizeWorkspacePath));
      for (const file of files) asRequestError(() => normalizeWorkspacePath(file.path));
      if (normalizedDeletes.length > 0) {
        // Deleting runs inside the sandbox, as the session's uid: whatever links the
        // workspace holds, `rm` there cannot reach anything outside it.
        const result = await runInSandbox({
          argv: ["/bin/sh", "-c", DELETE_SCRIPT, "sh", ...normalizedDeletes],
          workspace: dir,
          limits: resolveLimits({ wallMs: 10_000 }),
          config: configFor(uid),
          warmLauncher: false,
          signal,
        });
        if (result.status !== "OK") {
          throw new Error(`deleting files failed (${result.status}): ${result.message ?? result.stderr}`);
        }
        const failed = result.stdout.split("\0").filter(Boolean);
        if (failed.length > 0) {
          throw new HttpError(
            409,
            "delete_failed",
            `Could not delete ${failed.map((p) => `"${p}"`).join(", ")} (${result.stderr.trim().slice(0, 1000)}); ` +
              "the other deletes were done, no file was written.",
            { paths: failed },
          );
        }
      }
      for (const file of files) {
        try {
          asRequestError(() => writeWorkspaceFile({ dir }, file.path, file.content, configFor(uid)));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (quota && (code === "ENOSPC" || code === "EDQUOT")) {
            throw new HttpError(507, "workspace_full", `Could not write "${file.path}". ${workspaceFullNotice(quota).replace("[runner] ", "").trim()}`);
          }
          throw error;
        }
      }
    },

    async readFile({ dir }, relPath, maxBytes) {
      try {
        return asRequestError(() => readWorkspaceFile({ dir }, relPath, maxBytes));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") throw new HttpError(404, "not_found", `"${relPath}" does not exist.`);
        throw error;
      }
    },

    async runCommand({ dir, uid, gatewaySocket }, command, signal): Promise<RunResult> {
      // The signal (session ended, or the request's client went away) kills the run's whole cgroup
      // through the same path as its wall time limit (run.ts).
      const result = await runInSandbox({
        // A bare program name is looked up on the sandbox's PATH.
        argv: path.isAbsolute(command.argv[0]!) ? command.argv : ["/usr/bin/env", "--", ...command.argv],
        workspace: dir,
        stdin: command.stdin,
        limits: resolveLimits(command.limits),
        config: configFor(uid),
        warmLauncher: false,
        gatewaySocket: gatewaySocket ?? null,
        signal,
      });
      if (result.status !== "OK") result.stderr += await outOfSpace(dir);
      return result;
    },

    terminalCommand({ dir, uid, gatewaySocket }) {
      const cgroup = SandboxCgroup.create(TERMINAL_LIMITS, config.cgroupParent);
      const command = sandboxCommand({
        argv: TERMINAL_SHELL,
        workspace: dir,
        env: { TERM: "xterm-256color", PS1: "\\w$ " },
        limits: TERMINAL_LIMITS,
        cgroup,
        config: configFor(uid),
        gatewaySocket: gatewaySocket ?? null,
        // Without --new-session: the shell keeps its controlling terminal, so job
        // control and ^C work. That terminal is the sandbox's own PTY (nothing outside
        // reads its input), so TIOCSTI into it reaches nothing the sandbox did not control.
        interactive: true,
      });
      return {
        ...command,
        cleanup: () => cgroup.remove(),
      };
    },

    createApp({ dir, uid, gatewaySocket }) {
      return new AppProcess({
        workspace: dir,
        config: configFor(uid),
        gatewaySocket: gatewaySocket ?? null,
        // Root-only: the runner alone connects to an app's link socket.
        linkDir: path.join(config.stateDir, "apps", path.basename(dir)),
        logger: options.logger,
        outOfSpace: () => outOfSpace(dir),
      });
    },
  };
}
