import { randomUUID } from "node:crypto";

/**
 * What the app's logger (lib/log.ts) and the runner's (src/log.ts) agree on: the request id header
 * and its format, the fields every logged object has redacted, and the readable form of an entry
 * for development. No dependencies, so the app can import it as it imports auth/signing.ts.
 */

/** Carries a request's id from the browser to the app, and from the app to the runner. */
export const REQUEST_ID_HEADER = "x-request-id";

/** A request id someone else chose is kept only when it looks like one: 1–128 of [A-Za-z0-9_.:-]. */
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

export function isValidRequestId(value: string | null | undefined): value is string {
  return typeof value === "string" && REQUEST_ID_PATTERN.test(value);
}

export function newRequestId(): string {
  return randomUUID();
}

/** The incoming header's id when it is valid, else a new one. */
export function requestIdFrom(header: string | null | undefined): string {
  return isValidRequestId(header) ? header : newRequestId();
}

/** What a redacted value is logged as. */
export const REDACTED = "[Redacted]";

/** Keys whose values never reach a log line, at the top level of a logged object or up to two levels down. */
const SECRET_KEYS = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "apiKey",
  "api_key",
  "apikey",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "sessionToken",
  "password",
  "passwordHash",
  "secret",
  "clientSecret",
  "client_secret",
  "secretKey",
  "privateKey",
  "webhookSecret",
  "stripe-signature",
  "svix-signature",
  "x-runner-signature",
  "x-runner-ticket",
  "ticket",
];

const pathOf = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`);

/** pino `redact.paths`: each key at depth 0, 1 and 2 (`password`, `*.password`, `*.*.password`). */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const tail = pathOf(key);
  return [tail.startsWith(".") ? tail.slice(1) : tail, `*${tail}`, `*.*${tail}`];
});

const LEVEL_WIDTH = 5;

/** One JSON entry as `12:03:04.567 WARN  message  key=value …`, and its error's stack below (development output). */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, err, ...fields } = entry;
  for (const key of ["service", "pid", "hostname"]) delete fields[key];
  const clock = typeof time === "string" ? time.slice(11, 23) : "";
  const rest = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  const stack = err && typeof err === "object" ? ((err as { stack?: unknown }).stack ?? JSON.stringify(err)) : undefined;
  return `${clock} ${String(level).toUpperCase().padEnd(LEVEL_WIDTH)} ${typeof msg === "string" ? msg : ""}${rest ? `  ${rest}` : ""}${
    stack ? `\n${String(stack)}` : ""
  }\n`;
}
