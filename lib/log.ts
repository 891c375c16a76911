import { AsyncLocalStorage } from "node:async_hooks";
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import { logSettings, type LogLevel } from "@/lib/env";
import { prettyLine, REDACT_PATHS, REDACTED } from "../sandbox-runner/src/log-fields";

export { isValidRequestId, newRequestId, prettyLine, REQUEST_ID_HEADER, requestIdFrom } from "../sandbox-runner/src/log-fields";

/**
 * The server's one logger (README "Logs"): JSON lines on stdout, one object per entry, written in
 * this process (no transport, no worker thread, so it works as Next bundles it, instrumentation.ts
 * included). In `next dev` the same entries are printed as readable lines unless LOG_FORMAT=json.
 *
 * Every entry made while a request is handled carries that request's context (its id, and the user
 * and run once known) through AsyncLocalStorage: code deep in lib/ just calls `log.warn(...)`.
 * Work a request starts and leaves running (a generation run, a deployment's polling) keeps it.
 *
 * Secrets are redacted by the logger itself (sandbox-runner/src/log-fields.ts lists the keys:
 * authorization and cookie headers, API keys, tokens, passwords, `secret`, webhook signatures…)
 * wherever they sit up to two levels deep in a logged object. Errors go under `err`, which logs
 * their type, message and stack.
 */

/** What every entry made on behalf of one request (or the work it started) says about it. */
export interface LogContext {
  requestId: string;
  userId?: string;
  runId?: string;
}

interface LogState {
  storage: AsyncLocalStorage<LogContext>;
  logger: Logger;
  defaultLevel: LogLevel;
  /** Where each serialized entry (one JSON line) goes. */
  write: (line: string) => void;
  defaultWrite: (line: string) => void;
}

// One state per process: Next may evaluate this module more than once (route bundles,
// instrumentation, hot reload), and they must share the request context.
const STATE = Symbol.for("autocrea.log");
const holder = globalThis as typeof globalThis & { [STATE]?: LogState };
const state: LogState = (holder[STATE] ??= createState());

function createState(): LogState {
  const settings = logSettings();
  const storage = new AsyncLocalStorage<LogContext>();
  const toStdout =
    settings.format === "pretty"
      ? (line: string) => void process.stdout.write(prettyLine(line))
      : (line: string) => void process.stdout.write(line);
  const created = { storage, defaultLevel: settings.level, write: toStdout, defaultWrite: toStdout } as LogState;
  created.logger = pino(
    {
      level: settings.level,
      base: { service: "app", pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      mixin: () => contextFields(storage.getStore()),
    },
    { write: (line: string) => created.write(line) },
  );
  return created;
}

function contextFields(context: LogContext | undefined): Record<string, string> {
  if (!context) return {};
  const fields: Record<string, string> = { requestId: context.requestId };
  if (context.userId) fields.userId = context.userId;
  if (context.runId) fields.runId = context.runId;
  return fields;
}

/** The logger: `log.info({ field }, "message")`, `log.error({ err }, "what failed")`. */
export const log: Logger = state.logger;

/** Runs `fn` (and everything it starts) with `context` on every entry it logs. */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return state.storage.run(context, fn);
}

/** The context of the request being handled, if any. */
export function logContext(): LogContext | undefined {
  return state.storage.getStore();
}

export function currentRequestId(): string | undefined {
  return state.storage.getStore()?.requestId;
}

/** Adds what became known (the signed-in user, the run started) to the current context; outside one it does nothing. */
export function annotateLogContext(fields: { userId?: string; runId?: string }): void {
  const context = state.storage.getStore();
  if (!context) return;
  if (fields.userId) context.userId = fields.userId;
  if (fields.runId) context.runId = fields.runId;
}

// ------------------------------------------------------------------ tests

/** Tests only: send every entry to `write` (null: back to stdout) and log from `level` up (null: LOG_LEVEL). */
export function setLogDestinationForTests(write: ((line: string) => void) | null, level: LogLevel | null = null): void {
  state.write = write ?? state.defaultWrite;
  state.logger.level = level ?? state.defaultLevel;
}

export interface CapturedLogs {
  /** The raw lines, as they would have been written. */
  readonly lines: string[];
  /** Each line parsed. */
  entries(): Record<string, unknown>[];
  /** Back to stdout and LOG_LEVEL. */
  restore(): void;
}

/** Tests only: keeps every entry from `level` up instead of writing it, until `restore()`. */
export function captureLogsForTests(level: LogLevel = "debug"): CapturedLogs {
  const lines: string[] = [];
  setLogDestinationForTests((line) => lines.push(line), level);
  return {
    lines,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => setLogDestinationForTests(null),
  };
}
