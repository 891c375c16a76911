import { DeployProviderError } from "./types";

/**
 * Deployment logs as stored and shown: plain text lines, the provider's
 * token replaced wherever it appears, and only the tail kept.
 */

export const MAX_DEPLOYMENT_LOG_CHARS = 64 * 1024;

const REDACTED = "[redacted]";

/** Replaces every occurrence of each secret (ignoring empty ones) with "[redacted]". */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Keeps the last `max` characters, cut at a line start, with a marker saying so. */
export function capLogs(text: string, max = MAX_DEPLOYMENT_LOG_CHARS): string {
  if (text.length <= max) return text;
  const marker = "… (earlier lines omitted)\n";
  let tail = text.slice(text.length - (max - marker.length));
  const firstBreak = tail.indexOf("\n");
  if (firstBreak >= 0 && firstBreak < tail.length - 1) tail = tail.slice(firstBreak + 1);
  return marker + tail;
}

/** Appends lines (each redacted) to existing logs and caps the result. */
export function appendLogLines(
  existing: string,
  lines: string | readonly string[],
  secrets: ReadonlyArray<string | null | undefined> = [],
): string {
  const added = (typeof lines === "string" ? [lines] : lines)
    .map((line) => redactSecrets(line.replace(/\s+$/, ""), secrets))
    .filter((line) => line.length > 0);
  if (added.length === 0) return existing;
  const prefix = existing === "" || existing.endsWith("\n") ? existing : `${existing}\n`;
  return capLogs(`${prefix}${added.join("\n")}\n`);
}

/** A provider error as one log line, without the token (the caller redacts it too). */
export function describeProviderError(label: string, err: unknown): string {
  if (err instanceof DeployProviderError) {
    if (err.options.code === "unauthorized" || err.options.status === 401 || err.options.status === 403) {
      return `${label} refused the token (HTTP ${err.options.status ?? 401}). Check the token in Settings → Deploy and Git tokens.`;
    }
    // The provider's own text goes to the server log (lib/deploy/providers/http.ts), not to the user.
    const status = err.options.status ? ` (HTTP ${err.options.status})` : "";
    switch (err.options.code) {
      case "rate_limited":
        return `${label} is limiting requests${status}; try again in a minute.`;
      case "not_found":
        return `${label} no longer knows this deployment${status}.`;
      case "bad_request":
        return `${label} refused the request${status}. Check the project's settings there, or deploy again.`;
      case "unavailable":
        return `${label} is unavailable${status}; try again later.`;
      default:
        return `${label} answered with an error${status}; try again later.`;
    }
  }
  return `Could not reach ${label}; try again later.`;
}

/** Unknown errors (a dropped connection) are worth another try; provider 4xx are not. */
export function isRetryableError(err: unknown): boolean {
  return err instanceof DeployProviderError ? err.retryable : !(err instanceof Error && err.name === "AbortError");
}
