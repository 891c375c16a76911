import {
  APICallError,
  InvalidResponseDataError,
  JSONParseError,
  streamText,
  TypeValidationError,
  type LanguageModelUsage,
  type TextStreamPart,
  type ToolSet,
} from "ai";
import { defaultModelFor, languageModelFor, MissingKeyError, NoProviderError, secretsFor, type ProviderSecrets } from "./providers";
import type { CallAttempt, CallEvent, ChatMessage, ProviderCandidate, StreamCompletionOptions, Usage } from "./types";

/**
 * One completion, streamed, with fallback across candidates (DESIGN.md §4).
 *
 * Contract of `streamCompletion`:
 * - candidates are tried in order; an attempt that fails for any reason
 *   (timeout, HTTP 5xx/429/4xx, network, malformed or cut stream, missing
 *   key) yields `attempt_failed` and the next candidate is tried;
 * - the generator ends after exactly one `finish`, or throws CallFailedError
 *   once every candidate failed or the signal aborted (an `attempt_failed`
 *   with error "aborted" is yielded first);
 * - text yielded by a failed attempt stays yielded: the caller decides;
 * - each attempt carries the usage its provider reported, 0 when it reported
 *   none (e.g. a stream cut before its usage chunk);
 * - the SDK never retries (maxRetries: 0), so every try is ours and recorded.
 */

export const DEFAULT_TIMEOUT_MS = 45_000;

export class CallFailedError extends Error {
  constructor(
    public readonly attempts: CallAttempt[],
    public readonly aborted: boolean,
  ) {
    super(
      aborted
        ? "The AI call was canceled."
        : `Every AI provider failed: ${attempts.map((a) => `${a.provider} (${a.error ?? "error"})`).join(", ")}.`,
    );
    this.name = "CallFailedError";
  }
}

const ZERO: Usage = { inputTokens: 0, outputTokens: 0 };

function reportedUsage(usage: LanguageModelUsage | undefined): Usage {
  const count = (n: number | undefined) => (typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
  return usage ? { inputTokens: count(usage.inputTokens), outputTokens: count(usage.outputTokens) } : ZERO;
}

/** Removes every occurrence of the secret from a provider message. */
function redact(message: string, secrets: ProviderSecrets | undefined): string {
  const key = secrets?.apiKey;
  let out = message;
  if (key && key.length >= 4) out = out.split(key).join("[redacted]");
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

/** "<code>: <detail>", the code first so callers can branch on it. */
export function describeError(err: unknown, secrets?: ProviderSecrets): string {
  if (err instanceof MissingKeyError) return `missing_key: ${err.message}`;
  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    const detail = redact(providerMessage(err), secrets);
    if (status === 429) return `rate_limited: ${detail}`;
    if (status !== undefined && status >= 500) return `http_5xx: ${status} ${detail}`;
    // A 2xx whose body broke off while being read: the connection was cut mid-stream.
    if (status !== undefined && status < 400) return `stream_cut: ${redact(causeMessage(err), secrets)}`;
    if (status !== undefined) return `http_${status}: ${detail}`;
    return `network: ${redact(causeMessage(err), secrets)}`;
  }
  if (JSONParseError.isInstance(err) || TypeValidationError.isInstance(err)) {
    return "malformed_stream: the provider sent a chunk that is not valid";
  }
  if (InvalidResponseDataError.isInstance(err)) return `malformed_stream: ${err.message}`;
  const message = err instanceof Error ? err.message : String(err);
  return `network: ${redact(message, secrets)}`;
}

function causeMessage(err: APICallError): string {
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}

/** The provider's own error message when its body has one (OpenAI/Anthropic style), else the SDK's. */
function providerMessage(err: APICallError): string {
  const data = err.data as { error?: { message?: unknown } | string; message?: unknown } | undefined;
  const fromData =
    typeof data?.error === "object" && typeof data.error?.message === "string"
      ? data.error.message
      : typeof data?.error === "string"
        ? data.error
        : typeof data?.message === "string"
          ? data.message
          : undefined;
  return fromData ?? err.message;
}

/** System messages go in `system` (the SDK warns about them inside `messages`); the rest keep their order. */
function splitSystem(messages: ChatMessage[]): { system?: string; messages: ChatMessage[] } {
  const system = messages.filter((m) => m.role === "system").map((m) => m.content);
  return {
    system: system.length ? system.join("\n\n") : undefined,
    messages: messages.filter((m) => m.role !== "system"),
  };
}

type Step =
  | { kind: "part"; part: TextStreamPart<ToolSet> }
  | { kind: "done" }
  | { kind: "timeout" }
  | { kind: "aborted" };

/** The iterator's next value, or timeout/aborted, whichever comes first. */
function nextStep(
  iterator: AsyncIterator<TextStreamPart<ToolSet>>,
  deadline: number,
  signal: AbortSignal,
): Promise<Step> {
  if (signal.aborted) return Promise.resolve({ kind: "aborted" });
  return new Promise<Step>((resolve) => {
    const timer = setTimeout(() => finish({ kind: "timeout" }), Math.max(0, deadline - Date.now()));
    const onAbort = () => finish({ kind: "aborted" });
    signal.addEventListener("abort", onAbort, { once: true });
    function finish(step: Step) {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(step);
    }
    iterator.next().then(
      (r) => finish(r.done ? { kind: "done" } : { kind: "part", part: r.value }),
      (err: unknown) => finish({ kind: "part", part: { type: "error", error: err } }),
    );
  });
}

interface AttemptOutcome {
  attempt: CallAttempt;
  aborted: boolean;
}

async function* runAttempt(
  candidate: ProviderCandidate,
  options: StreamCompletionOptions,
  outcome: { value?: AttemptOutcome },
): AsyncGenerator<CallEvent> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = { provider: candidate.provider, model: candidate.model, source: candidate.source };
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) forwardAbort();
  else options.signal?.addEventListener("abort", forwardAbort, { once: true });

  let secrets: ProviderSecrets | undefined;
  let usage = ZERO;
  const fail = (error: string, aborted = false) => {
    outcome.value = { attempt: { ...base, ok: false, error, usage }, aborted };
  };

  let iterator: AsyncIterator<TextStreamPart<ToolSet>> | undefined;
  try {
    try {
      secrets = await secretsFor(candidate, options.userId);
      const result = streamText({
        model: languageModelFor(candidate, secrets),
        ...splitSystem(options.messages),
        maxOutputTokens: options.maxOutputTokens,
        maxRetries: 0,
        abortSignal: controller.signal,
        // Errors arrive as stream parts; the default handler would log them (with provider bodies).
        onError: () => {},
      });
      iterator = result.fullStream[Symbol.asyncIterator]();
    } catch (err) {
      if (controller.signal.aborted) return fail("aborted", true);
      return fail(describeError(err, secrets));
    }

    let deadline = Date.now() + timeoutMs;
    for (;;) {
      const step = await nextStep(iterator, deadline, controller.signal);
      if (step.kind === "aborted") return fail("aborted", true);
      if (step.kind === "timeout") return fail(`timeout: no token for ${timeoutMs} ms`);
      if (step.kind === "done") return fail("malformed_stream: the stream ended without a finish");
      const part = step.part;
      switch (part.type) {
        case "text-delta":
          if (part.text) yield { type: "text", text: part.text };
          // After the yield: time the consumer spends is not the provider's.
          deadline = Date.now() + timeoutMs;
          break;
        case "reasoning-delta":
          deadline = Date.now() + timeoutMs;
          break;
        case "finish-step":
          usage = reportedUsage(part.usage);
          break;
        case "error":
          if (controller.signal.aborted) return fail("aborted", true);
          return fail(describeError(part.error, secrets));
        case "abort":
          return fail("aborted", true);
        case "finish": {
          usage = part.totalUsage ? reportedUsage(part.totalUsage) : usage;
          if (part.finishReason === "error") return fail("malformed_stream: the provider reported an error");
          outcome.value = { attempt: { ...base, ok: true, usage }, aborted: false };
          return;
        }
        default:
          break;
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", forwardAbort);
    if (!outcome.value?.attempt.ok) controller.abort();
    // Closing may wait on a read that the abort above is ending; never block on it.
    iterator?.return?.().catch(() => {});
  }
}

/** Streams one completion across `options.candidates` (see the contract at the top of this file). */
export async function* streamCompletion(options: StreamCompletionOptions): AsyncGenerator<CallEvent> {
  if (options.candidates.length === 0) throw new NoProviderError();
  const attempts: CallAttempt[] = [];
  for (const candidate of options.candidates) {
    const outcome: { value?: AttemptOutcome } = {};
    yield* runAttempt(candidate, options, outcome);
    const { attempt, aborted } = outcome.value ?? {
      attempt: { provider: candidate.provider, model: candidate.model, source: candidate.source, ok: false, error: "aborted", usage: ZERO },
      aborted: true,
    };
    attempts.push(attempt);
    if (attempt.ok) {
      yield { type: "finish", attempt };
      return;
    }
    yield { type: "attempt_failed", attempt };
    if (aborted) throw new CallFailedError(attempts, true);
  }
  throw new CallFailedError(attempts, false);
}

export interface CompletedText {
  /** The successful attempt's text only (text from failed attempts is dropped). */
  text: string;
  /** Every attempt, the successful one last. */
  attempts: CallAttempt[];
}

/** For callers that do not stream: the final text and every attempt. Throws CallFailedError like streamCompletion. */
export async function completeText(options: StreamCompletionOptions): Promise<CompletedText> {
  const attempts: CallAttempt[] = [];
  let text = "";
  for await (const event of streamCompletion(options)) {
    if (event.type === "text") text += event.text;
    else if (event.type === "attempt_failed") {
      attempts.push(event.attempt);
      text = "";
    } else attempts.push(event.attempt);
  }
  return { text, attempts };
}

export type KeyCheck = { ok: true; provider: string; model: string } | { ok: false; provider: string; model: string; error: string };

/**
 * A tiny real call through the user's own key for `provider`, to tell them
 * whether it works. The provider's error message comes back with the key
 * redacted.
 */
export async function checkUserKey(userId: string, provider: ProviderCandidate["provider"], signal?: AbortSignal): Promise<KeyCheck> {
  const candidate: ProviderCandidate = { provider, model: defaultModelFor(provider), source: "user" };
  try {
    await completeText({
      candidates: [candidate],
      messages: [{ role: "user", content: "Reply with the single word: ok" }],
      maxOutputTokens: 16,
      timeoutMs: 20_000,
      signal,
      userId,
    });
    return { ok: true, provider, model: candidate.model };
  } catch (err) {
    if (!(err instanceof CallFailedError)) throw err;
    return { ok: false, provider, model: candidate.model, error: err.attempts[0]?.error ?? err.message };
  }
}
