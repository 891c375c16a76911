/**
 * The sandbox-runner's wire shapes as the app sees them (sandbox-runner/README.md, "API").
 * The runner validates every request; these types only describe the JSON.
 */

import type { RunResult } from "../../sandbox-runner/src/sandbox/result";

/** One process's result: the runner's own type, so the two sides cannot drift. */
export type { RunResult, RunStatus } from "../../sandbox-runner/src/sandbox/result";

export interface ExecuteResult {
  language: string;
  version: string;
  /** Compiled languages only. */
  compile?: RunResult;
  /** Absent only when compilation failed (compile.status says why). */
  run?: RunResult;
}

/** Per-request limits (any subset); values outside the runner's bounds are a 400, never silently clamped. */
export interface LimitsInput {
  wallMs?: number;
  cpuMs?: number;
  memoryBytes?: number;
  pids?: number;
  outputBytes?: number;
  fileSizeBytes?: number;
  nofile?: number;
}

export interface FileInput {
  path: string;
  content: string;
}

export interface ExecuteFileInput extends FileInput {
  encoding?: "utf8" | "base64";
}

export interface ExecuteRequest {
  language: string;
  version?: string;
  /** The first file is the entry point. */
  files: ExecuteFileInput[];
  stdin?: string;
  args?: string[];
  limits?: LimitsInput;
  compileLimits?: LimitsInput;
}

export interface Runtime {
  language: string;
  version: string;
  aliases: string[];
  /** What actually runs it, e.g. "gcc 12.2.0". */
  runtime: string;
  compiled: boolean;
}

export interface RunnerHealth {
  status: string;
  [extra: string]: unknown;
}

export type CommandRequest = ({ command: string; argv?: never } | { argv: string[]; command?: never }) & {
  stdin?: string;
  limits?: LimitsInput;
};

export interface PtyTicket {
  ticket: string;
  /** WebSocket URL the browser connects to, ticket included. */
  url: string;
  expiresAt: number;
}

/** A session's app (the runner's sessions/app-process.ts): its state as the runner reports it. */
export type { AppState, AppStatus } from "../../sandbox-runner/src/sessions/app-status";

export interface AppStartRequest {
  /** A shell command line, run with /bin/sh -c in the session's sandbox. */
  command: string;
  /** Where the app listens inside the sandbox (also in its PORT variable). */
  port: number;
  env?: Record<string, string>;
  /** Run first when the manifest or lockfile changed since the last install, e.g. "npm install". */
  install?: string;
}

export interface AppLogChunk {
  text: string;
  /** Pass as `since` next time. */
  next: number;
}
