import type { CallSummary } from "@/lib/ai/actions/metered-call";
import { NETWORK_PROBLEM, problemFrom, type ApiProblem } from "./api-errors";
import { readSse } from "./sse";

/**
 * Calls one of POST /api/ai/{explain,fix,refactor,chat} and reads its SSE
 * answer (wire format: lib/ai/actions/event-stream.ts), handing text over as it
 * streams.
 */

export type AiAction = "explain" | "fix" | "refactor" | "complete" | "chat";

/** The `done` event (a type-only import: nothing of the server module reaches the bundle). */
export type AiSummary = Omit<CallSummary, "attempts">;

export type AiResult = { ok: true; text: string; summary: AiSummary } | { ok: false; text: string; problem: ApiProblem; summary?: AiSummary };

export interface AiStreamHandlers {
  onText?: (textSoFar: string) => void;
  /** A provider failed mid-answer; the next one starts over. */
  onProviderFailed?: (provider: string) => void;
  /** The provider is tried again shortly ("The AI service is rate-limiting requests; retrying in 2 s."). */
  onRetry?: (message: string) => void;
  signal?: AbortSignal;
}

export async function streamAi(action: AiAction, body: unknown, handlers: AiStreamHandlers = {}): Promise<AiResult> {
  let response: Response;
  try {
    response = await fetch(`/api/ai/${action}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: handlers.signal,
    });
  } catch {
    if (handlers.signal?.aborted) return { ok: false, text: "", problem: { kind: "other", status: 0, code: "aborted", message: "Stopped." } };
    return { ok: false, text: "", problem: NETWORK_PROBLEM };
  }
  if (!response.ok || !response.body) return { ok: false, text: "", problem: await problemFrom(response) };

  let text = "";
  try {
    for await (const message of readSse(response.body, handlers.signal)) {
      const data = JSON.parse(message.data) as Record<string, unknown>;
      if (message.event === "text" && typeof data.text === "string") {
        text += data.text;
        handlers.onText?.(text);
      } else if (message.event === "retry" && typeof data.message === "string") {
        handlers.onRetry?.(data.message);
      } else if (message.event === "attempt_failed") {
        handlers.onProviderFailed?.(String(data.provider ?? "a provider"));
      } else if (message.event === "done") {
        const summary = data as unknown as AiSummary;
        if (summary.ok) return { ok: true, text, summary };
        return { ok: false, text, summary, problem: { kind: "other", status: 200, code: summary.aborted ? "aborted" : "failed", message: summary.error ?? "The AI call failed." } };
      } else if (message.event === "error") {
        return { ok: false, text, problem: { kind: "other", status: 500, code: String(data.error ?? "error"), message: String(data.message ?? "The AI call failed.") } };
      }
    }
  } catch {
    if (handlers.signal?.aborted) return { ok: false, text, problem: { kind: "other", status: 0, code: "aborted", message: "Stopped." } };
    return { ok: false, text, problem: { kind: "other", status: 0, code: "network", message: "The connection dropped before the answer finished." } };
  }
  if (handlers.signal?.aborted) return { ok: false, text, problem: { kind: "other", status: 0, code: "aborted", message: "Stopped." } };
  return { ok: false, text, problem: { kind: "other", status: 0, code: "incomplete", message: "The answer ended before it finished." } };
}
