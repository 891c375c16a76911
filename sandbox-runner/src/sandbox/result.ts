/** The result of one sandboxed process: the wire shape the app's client reads too (lib/sandbox). */

/** OK, runtime error (non-zero exit), signal, time limit, memory limit, output limit, internal error. */
export type RunStatus = "OK" | "RE" | "SG" | "TO" | "ML" | "OL" | "XX";

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  status: RunStatus;
  /** Human-readable reason for TO/ML/OL/XX, else null. */
  message: string | null;
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  truncated: boolean;
}
