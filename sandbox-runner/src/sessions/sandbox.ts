import type { PartialLimits } from "../limits";
import type { TerminalCommand } from "../pty/terminal";
import type { RunResult } from "../sandbox/run";

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

export interface SessionSandbox {
  createWorkspace(): Promise<string>;
  removeWorkspace(workspace: string): Promise<void>;
  writeFiles(workspace: string, files: SessionFiles): Promise<void>;
  /** A regular file's bytes (symlinks not followed); 404 when missing, 400 for a bad path or non-regular file. */
  readFile(workspace: string, path: string, maxBytes: number): Promise<Buffer>;
  /** Runs one process tree in a fresh sandbox over the workspace; `signal` ends it early. */
  runCommand(workspace: string, command: SessionCommand, signal: AbortSignal): Promise<SessionRunResult>;
  /** The argv of an interactive shell in a sandbox over the workspace, and how to tear its cgroup down. */
  terminalCommand(workspace: string): TerminalCommand & { cleanup: () => Promise<void> };
}
