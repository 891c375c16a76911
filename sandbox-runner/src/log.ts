import { AsyncLocalStorage } from "node:async_hooks";
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import { prettyLine, REDACT_PATHS, REDACTED } from "./log-fields";

export type { Logger } from "pino";

/**
 * The runner's logger, the app's twin (lib/log.ts): one JSON object per line, written in this
 * process (no transport, no worker thread), on stderr as the runner always logged. Secrets are
 * redacted by the logger (log-fields.ts). An entry made while a request is handled carries the
 * request id the app sent (`x-request-id`), so one id finds a request on both sides.
 *
 * LOG_LEVEL: trace, debug, info (default), warn, error, fatal or silent (the default under vitest).
 * LOG_FORMAT: json, or pretty (one readable line per entry; the default when NODE_ENV=development).
 */

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

interface RequestContext {
  requestId: string;
}

const requestContext = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) with `requestId` on every entry it logs; without an id, just runs it. */
export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return requestId ? requestContext.run({ requestId }, fn) : fn();
}

export interface LoggerOptions {
  /** Default: LOG_LEVEL, else info (silent under vitest). */
  level?: string;
  /** Where each entry (one line, newline included) goes. Default: stderr, readable in development. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, env: NodeJS.ProcessEnv = process.env): Logger {
  const fromEnv = env.LOG_LEVEL?.trim();
  const level = options.level ?? (fromEnv && LEVELS.includes(fromEnv) ? fromEnv : env.VITEST ? "silent" : "info");
  const format = env.LOG_FORMAT?.trim() === "json" || env.LOG_FORMAT?.trim() === "pretty" ? env.LOG_FORMAT.trim() : env.NODE_ENV === "development" ? "pretty" : "json";
  const write = options.write ?? (format === "pretty" ? (line: string) => void process.stderr.write(prettyLine(line)) : (line: string) => void process.stderr.write(line));
  return pino(
    {
      level,
      base: { service: "runner", pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      mixin: () => {
        const context = requestContext.getStore();
        return context ? { requestId: context.requestId } : {};
      },
    },
    { write },
  );
}

/** The runner's logger, for whoever is given none. */
export const logger: Logger = createLogger();
