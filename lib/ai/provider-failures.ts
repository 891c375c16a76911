/**
 * A provider failure told to people: only its code (the part of `CallAttempt.error` before ":")
 * decides the sentence; the provider's own text stays in the server's log (lib/ai/call.ts).
 */

import { providerLabel } from "./catalog";
import type { ProviderId } from "./types";

export function providerName(provider: ProviderId): string {
  return provider === "endpoint" ? "Your endpoint" : providerLabel(provider);
}

/** What the provider did, as the end of a sentence that starts with its name. */
export function failureSentence(error: string | undefined): string {
  const code = error ? error.split(":")[0] : "error";
  if (code === "rate_limited") return "is rate-limiting requests";
  if (code === "http_5xx") return "had a server error";
  if (code === "timeout") return "stopped answering";
  if (code === "network") return "could not be reached";
  if (code === "stream_cut") return "broke off its answer";
  if (code === "malformed_stream") return "sent an answer that could not be read";
  if (code === "missing_key") return "has no API key configured";
  if (code === "http_401" || code === "http_403") return "refused the API key";
  return "refused the request";
}

/** "OpenAI refused the API key (HTTP 401)." — the status only where the code carries one. `who` is the sentence's subject. */
export function failureMessage(who: string, error: string | undefined): string {
  const code = error ? error.split(":")[0] : "error";
  const status = /^http_(\d{3})$/.exec(code)?.[1] ?? (code === "http_5xx" ? /^http_5xx: (\d{3})\b/.exec(error ?? "")?.[1] : undefined);
  return `${who} ${failureSentence(error)}${status ? ` (HTTP ${status})` : ""}.`;
}
