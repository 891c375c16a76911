/** What the runner reports about a session's app (app-process.ts); the app imports these types too. */

export type AppState = "installing" | "starting" | "ready" | "failed" | "crashed" | "stopped";

export interface AppStatus {
  state: AppState;
  port: number | null;
  /** Why it failed or crashed, in a sentence. */
  message: string | null;
  exitCode: number | null;
  signal: string | null;
  startedAt: number | null;
  readyAt: number | null;
  /** Bytes of log written so far (the log endpoint's `since`). */
  logBytes: number;
  /** The last lines of the log, for a crash. */
  logTail: string;
}

/** A session that never started its app, or whose app is gone. */
export const STOPPED_APP_STATUS: Readonly<AppStatus> = Object.freeze({
  state: "stopped",
  port: null,
  message: null,
  exitCode: null,
  signal: null,
  startedAt: null,
  readyAt: null,
  logBytes: 0,
  logTail: "",
});
