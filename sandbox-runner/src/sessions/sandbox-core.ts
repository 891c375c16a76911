import path from "node:path";
import { getRunnerConfig, type RunnerConfig } from "../config";
import { MAX_LIMITS, resolveLimits, type Limits } from "../limits";
import { HttpError } from "../server/http-error";
import { SandboxCgroup } from "../sandbox/cgroup";
import { sandboxCommand } from "../sandbox/command";
import { runInSandbox, type RunResult } from "../sandbox/run";
import {
  createWorkspace,
  normalizeWorkspacePath,
  readWorkspaceFile,
  removeWorkspace,
  WorkspacePathError,
  writeWorkspaceFile,
} from "../sandbox/workspace";
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

/** SessionSandbox on the isolation core in src/sandbox. */
export function createSessionSandbox(config: RunnerConfig = getRunnerConfig()): SessionSandbox {
  return {
    async createWorkspace() {
      return createWorkspace(config).dir;
    },

    async removeWorkspace(dir) {
      removeWorkspace({ dir });
    },

    async writeFiles(dir, { files, deletes }) {
      const normalizedDeletes = asRequestError(() => deletes.map(normalizeWorkspacePath));
      for (const file of files) asRequestError(() => normalizeWorkspacePath(file.path));
      if (normalizedDeletes.length > 0) {
        // Deleting runs inside the sandbox, as the sandbox uid: whatever links the
        // workspace holds, `rm` there cannot reach anything outside it.
        const result = await runInSandbox({
          argv: ["/bin/rm", "-rf", "--", ...normalizedDeletes],
          workspace: dir,
          limits: resolveLimits({ wallMs: 10_000 }),
          config,
        });
        if (result.status !== "OK") {
          throw new Error(`deleting files failed (${result.status}): ${result.message ?? result.stderr}`);
        }
      }
      for (const file of files) asRequestError(() => writeWorkspaceFile({ dir }, file.path, file.content, config));
    },

    async readFile(dir, relPath, maxBytes) {
      try {
        return asRequestError(() => readWorkspaceFile({ dir }, relPath, maxBytes));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") throw new HttpError(404, "not_found", `"${relPath}" does not exist.`);
        throw error;
      }
    },

    async runCommand(dir, command, signal): Promise<RunResult> {
      // The signal (session ended, or the request's client went away) kills the run's whole cgroup
      // through the same path as its wall time limit (run.ts).
      return runInSandbox({
        // A bare program name is looked up on the sandbox's PATH.
        argv: path.isAbsolute(command.argv[0]!) ? command.argv : ["/usr/bin/env", "--", ...command.argv],
        workspace: dir,
        stdin: command.stdin,
        limits: resolveLimits(command.limits),
        config,
        signal,
      });
    },

    terminalCommand(dir) {
      const cgroup = SandboxCgroup.create(TERMINAL_LIMITS, config.cgroupParent);
      const command = sandboxCommand({
        argv: TERMINAL_SHELL,
        workspace: dir,
        env: { TERM: "xterm-256color", PS1: "\\w$ " },
        limits: TERMINAL_LIMITS,
        cgroup,
        config,
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
  };
}
