import type { PartialLimits } from "../limits";
import type { TerminalCommand } from "../pty/terminal";
import type { RunResult } from "../sandbox/run";
import type { AppProcess } from "./app-process";

/**
 * What sessions need from the isolation core: a workspace, files in it,
 * sandboxed commands and a sandboxed shell for the terminal. The real
 * implementation (./sandbox-core) maps these onto src/sandbox/*.
 */

export interface SessionFiles {
  files: { path: string; content: string }[];
  deletes: string[];
}

export interface SessionCommand {
  argv: string[];
  stdin?: string;
  limits?: PartialLimits;
}

export type SessionRunResult = RunResult;

export interface SessionWorkspace {
  /** Host directory, bound at /workspace in the session's sandboxes. */
  readonly dir: string;
  /** The session's own uid and gid (the same number): its files' owner, its processes' identity. */
  readonly uid: number;
  /** Its door to the package gateway (gateway/door.ts), bound into its sandboxes; none without a gateway. */
  readonly gatewaySocket?: string;
}

export interface SessionSandbox {
  /** A workspace with a uid no other live session has; 503 when none is free. */
  createWorkspace(): Promise<SessionWorkspace>;
  /** Removes the workspace and frees its uid. Nothing of the session may still run. */
  removeWorkspace(workspace: SessionWorkspace): Promise<void>;
  /** Deletes, then writes; 400 for a bad path, 409 naming an entry that could not be deleted. `signal` stops the deleting. */
  writeFiles(workspace: SessionWorkspace, files: SessionFiles, signal?: AbortSignal): Promise<void>;
  /** A regular file's bytes (symlinks not followed); 404 when missing, 400 for a bad path or non-regular file. */
  readFile(workspace: SessionWorkspace, path: string, maxBytes: number): Promise<Buffer>;
  /** Runs one process tree in a fresh sandbox over the workspace; `signal` ends it early. */
  runCommand(workspace: SessionWorkspace, command: SessionCommand, signal: AbortSignal): Promise<SessionRunResult>;
  /** The argv of an interactive shell in a sandbox over the workspace, and how to tear its cgroup down. */
  terminalCommand(workspace: SessionWorkspace): TerminalCommand & { cleanup: () => Promise<void> };
  /** The session's app (not started yet): its server, run over the workspace. */
  createApp(workspace: SessionWorkspace): AppProcess;
}
