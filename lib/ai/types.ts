/**
 * Contracts between the pieces of lib/ai (docs/architecture.md#the-ai-layer, docs/runs.md):
 *   protocol/  parses the role's streamed output into ProtocolEvents
 *   providers  resolves which models a user's call may use, in order
 *   call       streams one completion with fallback across those providers
 *   pricing    turns reported usage into credits
 *   credits    holds and charges them
 *   runs/      runs the role DAG (runs/pipeline.ts) and emits RunEvents
 *   changes/   runs a change request through the same machinery
 *   actions/   serves the single-shot AI actions (explain, fix, refactor, complete, chat)
 */

import type { KeyProvider } from "./model-options";

// ---------------------------------------------------------------- output protocol

/**
 * What the parser emits. For a given transcript the sequence is the same
 * whatever the chunking, once adjacent `text` events are merged.
 */
export type ProtocolEvent =
  /** Explanation outside any tag. */
  | { type: "text"; text: string }
  /** `<file path="…">` has been read: the UI may show the file as "writing". */
  | { type: "file_open"; path: string }
  /** `</file>` closed: the whole content. */
  | { type: "file"; path: string; content: string }
  | { type: "edit"; path: string; search: string; replace: string }
  | { type: "delete"; path: string }
  | { type: "command"; command: string }
  /** Malformed input (unclosed or nested tag, bad path, file over the limit…); parsing goes on where it can. */
  | { type: "error"; message: string }
  /**
   * What the model wrote was not quite the protocol, and the parser repaired it (a fence wrapping a
   * file's content stripped, a file closed by the next tag, an unclosed last file kept): the file
   * event for `path` carries the repaired content; `message` says what was done, for the run's events.
   */
  | { type: "repair"; path: string; message: string };

export interface ProtocolParser {
  push(chunk: string): ProtocolEvent[];
  /**
   * End of stream: flushes text and reports an unclosed tag. `complete`: the answer ended normally
   * (finish reason "stop"), so an unclosed last file is kept (with a `repair`); otherwise (the
   * default, a cut stream) it is dropped with an `error`.
   */
  end(options?: { complete?: boolean }): ProtocolEvent[];
}

// ---------------------------------------------------------------- providers and calls

/** Providers the platform can serve from its own configuration (env keys, a local server). */
export type PlatformProvider = "joxcoder" | KeyProvider | "ollama" | "lmstudio";

/** `endpoint`: a user's own OpenAI-compatible endpoint (lib/ai/endpoints.ts), named by `endpointId`. */
export type ProviderId = PlatformProvider | "endpoint";

/** One model the call may use; `source` says whose key pays the provider. */
export interface ProviderCandidate {
  provider: ProviderId;
  model: string;
  source: "user" | "platform";
  /** Set when provider is "endpoint". */
  endpointId?: string;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** One try at one provider, recorded whether it worked or not. */
export interface CallAttempt {
  provider: ProviderId;
  model: string;
  /** Whose key served the attempt (user-key attempts cost no platform credits). Additive: set by streamCompletion. */
  source?: "user" | "platform";
  ok: boolean;
  /** Set when !ok: "timeout" | "http_5xx" | "rate_limited" | "malformed_stream" | "aborted" | … with detail. */
  error?: string;
  /** What the provider reported for this attempt; estimated from characters when it reported none (see usageEstimated). */
  usage: Usage;
  /** The usage was not reported by the provider but estimated from the characters sent and received. */
  usageEstimated?: boolean;
  /** Set on a finished attempt: the provider's finish reason ("stop", "length", …). */
  finishReason?: string;
}

/** Streamed by `streamCompletion` (lib/ai/call.ts). */
export type CallEvent =
  | { type: "text"; text: string }
  /** An attempt failed; text already yielded by it stays yielded. The next candidate is tried. */
  | { type: "attempt_failed"; attempt: CallAttempt }
  | { type: "finish"; attempt: CallAttempt }
  /**
   * The same candidate is tried again after `delayMs` (a 429, a 5xx, a dropped connection before any
   * token). `message` is a sentence for people ("The AI service is rate-limiting requests; retrying
   * in 2 s."); the provider's raw text goes only to the server log. The failed try is also reported
   * as `attempt` (its usage, usually none, is charged like any attempt's).
   */
  | { type: "retry"; attempt: CallAttempt; delayMs: number; message: string };

export interface StreamCompletionOptions {
  candidates: ProviderCandidate[];
  messages: ChatMessage[];
  maxOutputTokens?: number;
  /** Per attempt: no token for this long → timeout, next candidate. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Whose stored keys serve `source: "user"` candidates; keys are read and decrypted at call time. Additive. */
  userId?: string;
}

// ---------------------------------------------------------------- runs

/** `editor`: the one agent of a change request (lib/ai/changes), instead of the pipeline's builders. */
export type RoleName = "architect" | "backend" | "frontend" | "devops" | "security" | "tester" | "fixer" | "editor";

/** A generation runs the whole pipeline; a change request, the editor then the checks. */
export type RunKind = "generation" | "change";

/** Something that keeps a run from being `completed`: a planned file never written, a check that failed or never ran. */
export interface RunIssue {
  summary: string;
  /** The failing command's output (its end), when there is one. */
  detail?: string;
}

/** Streamed over SSE and persisted in order; `seq` is the SSE id. */
export type RunEvent =
  | { type: "run_started"; runId: string; projectId: string; reserved: number; estimate: number; kind?: RunKind; request?: string }
  | { type: "step_started"; stepId: string; role: RoleName; model: string; provider: string }
  /** `usageEstimated`: some of the step's usage was not reported by the provider but estimated from characters. */
  | { type: "step_finished"; stepId: string; role: RoleName; status: "succeeded" | "failed" | "skipped" | "canceled"; credits: number; inputTokens: number; outputTokens: number; error?: string; reason?: string; usageEstimated?: boolean }
  /** Additive: the step's model is writing; sent on its first token, then at most once a second. */
  | { type: "step_progress"; stepId: string; role: RoleName; outputChars: number }
  /** Additive: a `<file>` tag opened; its content is streaming (file_written follows when it closes). */
  | { type: "file_started"; role: RoleName; path: string }
  | { type: "file_written"; role: RoleName; path: string; size: number }
  | { type: "file_edited"; role: RoleName; path: string }
  | { type: "file_deleted"; role: RoleName; path: string }
  | { type: "meter"; spent: number; reserved: number }
  | { type: "log"; role?: RoleName; level: "info" | "warn" | "error"; message: string }
  /** `issues` is empty exactly when status is "completed" (docs/runs.md#status, honest status). */
  | { type: "done"; status: "completed" | "completed_with_issues"; spent: number; refunded: number; version: number | null; issues?: RunIssue[] }
  | { type: "failed"; status: "failed" | "canceled"; spent: number; refunded: number; error: string };
