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
import { log } from "@/lib/log";
import { defaultModelOf } from "./catalog";
import { languageModelFor, MissingKeyError, NoProviderError, secretsFor, type ProviderSecrets } from "./providers";
import { tokensForChars } from "./pricing";
import { failureMessage, providerName } from "./provider-failures";
import type { CallAttempt, CallEvent, ChatMessage, ProviderCandidate, StreamCompletionOptions, Usage } from "./types";

/**
 * One completion, streamed, with retries and fallback across candidates (docs/runs.md#providers-failing).
 *
 * Contract of `streamCompletion`:
 * - candidates are tried in order. A try that fails before receiving any token with a 408, 409,
 *   429 or 5xx, or a connection error (refused, reset, dropped before the first token), is retried on
 *   the SAME candidate up to RETRY_POLICY.maxRetries times, after an exponential backoff with jitter
 *   or the provider's Retry-After (retry-after-ms, seconds or an HTTP date) when it gives one; each
 *   such try yields a `retry` event (its attempt, the delay, a sentence for people) before the wait,
 *   and the wait ends at once when the signal aborts. A Retry-After above RETRY_POLICY.maxRetryAfterMs
 *   is not waited for;
 * - an attempt that fails otherwise (retries exhausted or not waited for, 400/401/403/404…, timeout,
 *   malformed stream, a stream cut after some text, missing key) yields `attempt_failed` and the next
 *   candidate is tried. A try that already yielded text is never retried on the same candidate;
 * - the generator ends after exactly one `finish`, or throws CallFailedError once every candidate
 *   failed or the signal aborted (an `attempt_failed` with error "aborted" is yielded first);
 * - text yielded by a failed attempt stays yielded: the caller decides;
 * - every try is reported exactly once, on exactly one event (`retry`, `attempt_failed` or
 *   `finish`), with its usage: what the provider reported; where it reported none, estimated from the
 *   characters sent and received (tokensForChars) and flagged `usageEstimated` — for a finished
 *   attempt, and for a failed one that received at least one token. A try that failed before
 *   receiving anything costs 0 and is not estimated;
 * - a finished attempt carries the provider's `finishReason` ("stop", "length", …);
 * - `attempt.error` is "<code>: <detail>", the detail being the provider's own message with any key
 *   redacted: for the server log and the code (before ":") for people — every failed try is logged
 *   (lib/log.ts, warn: provider, model, host, HTTP status, code, detail; the request, user and run
 *   come from the log context), and a call that every candidate failed once more (error);
 *   `retry` messages and CallFailedError's message carry no provider text;
 * - the SDK never retries (maxRetries: 0), so every try is ours and recorded. Requests go through
 *   providerFetch (providers.ts), whose pool closes idle connections before servers do.
 */

export const DEFAULT_TIMEOUT_MS = 45_000;

export interface RetryPolicy {
  /** Retries of one candidate after its first try. */
  maxRetries: number;
  /** The n-th retry waits baseDelayMs × 2^(n−1), ±20 % jitter, unless the provider said how long. */
  baseDelayMs: number;
  /** A provider asking to wait longer than this is not waited for: the next candidate is tried. */
  maxRetryAfterMs: number;
}

export const RETRY_POLICY: Readonly<RetryPolicy> = { maxRetries: 3, baseDelayMs: 500, maxRetryAfterMs: 20_000 };

let retryPolicy: RetryPolicy = { ...RETRY_POLICY };

/** Tests only: a faster (or no) retry policy; null restores RETRY_POLICY. */
export function setRetryPolicyForTests(policy: Partial<RetryPolicy> | null): void {
  retryPolicy = { ...RETRY_POLICY, ...policy };
}

export class CallFailedError extends Error {
  constructor(
    public readonly attempts: CallAttempt[],
    public readonly aborted: boolean,
  ) {
    super(
      aborted
        ? "The AI call was canceled."
        : `Every AI provider failed: ${attempts
            .map((a) => `${a.provider} (${errorCode(a.error)})`)
            .filter((tried, i, all) => tried !== all[i - 1]) // a retried try reads once
            .join(", ")}.`,
    );
    this.name = "CallFailedError";
  }
}

/** The code of an attempt's error ("http_5xx", "rate_limited", …), without the provider's text. */
function errorCode(error: string | undefined): string {
  return error ? error.split(":")[0] : "error";
}

const ZERO: Usage = { inputTokens: 0, outputTokens: 0 };

/** A token count the provider reported, or undefined when it reported none. */
function reportedCount(n: number | undefined): number | undefined {
  return typeof n === "number" && Number.isFinite(n) ? Math.max(0, Math.floor(n)) : undefined;
}

function reportedUsage(usage: LanguageModelUsage | undefined): Partial<Usage> {
  return { inputTokens: reportedCount(usage?.inputTokens), outputTokens: reportedCount(usage?.outputTokens) };
}

function charsSent(messages: ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + message.content.length, 0);
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

// ---------------------------------------------------------------- retries

type RetryReason = "rate_limited" | "server_error" | "connection";

interface Retryable {
  reason: RetryReason;
  /** How long the provider asked to wait (Retry-After), when it did. */
  retryAfterMs?: number;
}

const RETRYABLE_STATUSES = new Set([408, 409, 429]);
const CONNECTION_ERROR_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** A refused, reset or dropped connection somewhere in the error's causes. */
function isConnectionError(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = err; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_ERROR_CODES.has(code)) return true;
    if (current instanceof TypeError && /^(fetch failed|terminated)$/i.test(current.message)) return true;
  }
  return false;
}

/** Retry-After as milliseconds: `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]?.trim();
  const ms = header("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = header("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an error that happened before any token may be retried on the same candidate. */
function retryableError(err: unknown): Retryable | undefined {
  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    if (status === undefined || status < 400) return { reason: "connection" }; // never connected, or cut before a token
    if (status === 429) return { reason: "rate_limited", retryAfterMs: retryAfterMs(err.responseHeaders) };
    if (RETRYABLE_STATUSES.has(status) || status >= 500) {
      return { reason: "server_error", retryAfterMs: retryAfterMs(err.responseHeaders) };
    }
    return undefined;
  }
  return isConnectionError(err) ? { reason: "connection" } : undefined;
}

/** The wait before retry number `retry` (1-based), or undefined when there is no retry left or the provider asks too much. */
function retryDelay(retryable: Retryable, retry: number, policy: RetryPolicy): number | undefined {
  if (retry > policy.maxRetries) return undefined;
  if (retryable.retryAfterMs !== undefined) {
    return retryable.retryAfterMs <= policy.maxRetryAfterMs ? retryable.retryAfterMs : undefined;
  }
  const jitter = 0.8 + Math.random() * 0.4;
  return Math.round(policy.baseDelayMs * 2 ** (retry - 1) * jitter);
}

function formatDelay(ms: number): string {
  if (ms < 50) return "now";
  const seconds = ms / 1000;
  return `in ${seconds < 10 ? Math.round(seconds * 10) / 10 : Math.round(seconds)} s`;
}

/** The sentence a `retry` event carries: never the provider's text. */
export function retryMessage(reason: RetryReason, delayMs: number): string {
  const when = formatDelay(delayMs);
  switch (reason) {
    case "rate_limited":
      return `The AI service is rate-limiting requests; retrying ${when}.`;
    case "server_error":
      return `The AI service had a temporary error; retrying ${when}.`;
    case "connection":
      return `The connection to the AI service dropped; retrying ${when}.`;
  }
}

/** Waits `ms`; false as soon as the signal aborts (or had). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(true), ms);
    const onAbort = () => done(false);
    signal?.addEventListener("abort", onAbort, { once: true });
    function done(waited: boolean) {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(waited);
    }
  });
}

/** Where a failed try went and what it got back, for the server log. */
interface TryTarget {
  host?: string;
  status?: number;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

function tryTarget(err: unknown, secrets: ProviderSecrets | undefined): TryTarget {
  if (APICallError.isInstance(err)) return { host: hostOf(err.url) ?? hostOf(secrets?.baseURL), status: err.statusCode };
  return { host: hostOf(secrets?.baseURL) };
}

/** The server log's entry for a failed try (the provider's text, key redacted, goes here and nowhere public). */
function logFailedTry(attempt: CallAttempt, target: TryTarget | undefined, next: string): void {
  log.warn(
    {
      provider: attempt.provider,
      model: attempt.model,
      source: attempt.source,
      host: target?.host,
      status: target?.status,
      code: errorCode(attempt.error),
      error: attempt.error,
      next,
    },
    "AI call failed",
  );
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

interface TryOutcome {
  attempt: CallAttempt;
  aborted: boolean;
  /** Set when the try failed before any token in a way worth retrying on the same candidate. */
  retryable?: Retryable;
  /** Set when the try failed: the host and status, for the log. */
  target?: TryTarget;
}

/** One HTTP try at one candidate: yields its text, leaves what happened in `outcome`. */
async function* runTry(
  candidate: ProviderCandidate,
  options: StreamCompletionOptions,
  outcome: { value?: TryOutcome },
): AsyncGenerator<CallEvent> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = { provider: candidate.provider, model: candidate.model, source: candidate.source };
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) forwardAbort();
  else options.signal?.addEventListener("abort", forwardAbort, { once: true });

  let secrets: ProviderSecrets | undefined;
  let reported: Partial<Usage> = {};
  /** Characters of text (and reasoning) received: the output estimate, and whether any token came. */
  let receivedChars = 0;

  /** The try's usage: reported, with what was not reported estimated once anything was received. */
  const usage = (finished: boolean): Pick<CallAttempt, "usage" | "usageEstimated"> => {
    if (!finished && receivedChars === 0) {
      return { usage: { inputTokens: reported.inputTokens ?? 0, outputTokens: reported.outputTokens ?? 0 } };
    }
    const estimated = reported.inputTokens === undefined || reported.outputTokens === undefined;
    return {
      usage: {
        inputTokens: reported.inputTokens ?? tokensForChars(charsSent(options.messages)),
        outputTokens: reported.outputTokens ?? tokensForChars(receivedChars),
      },
      ...(estimated ? { usageEstimated: true } : {}),
    };
  };
  /** `cause`: the error, when the try may be retried for it; `problem`: the error, for the log only. */
  const fail = (error: string, details: { aborted?: boolean; cause?: unknown; problem?: unknown } = {}) => {
    const retryable = !details.aborted && receivedChars === 0 && details.cause !== undefined ? retryableError(details.cause) : undefined;
    const target = tryTarget(details.cause ?? details.problem, secrets);
    outcome.value = { attempt: { ...base, ok: false, error, ...usage(false) }, aborted: details.aborted ?? false, retryable, target };
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
      if (controller.signal.aborted) return fail("aborted", { aborted: true });
      return fail(describeError(err, secrets), { problem: err }); // a missing key or endpoint: not worth retrying
    }

    let deadline = Date.now() + timeoutMs;
    for (;;) {
      const step = await nextStep(iterator, deadline, controller.signal);
      if (step.kind === "aborted") return fail("aborted", { aborted: true });
      if (step.kind === "timeout") return fail(`timeout: no token for ${timeoutMs} ms`);
      if (step.kind === "done") return fail("malformed_stream: the stream ended without a finish");
      const part = step.part;
      switch (part.type) {
        case "text-delta":
          if (part.text) {
            receivedChars += part.text.length;
            yield { type: "text", text: part.text };
          }
          // After the yield: time the consumer spends is not the provider's.
          deadline = Date.now() + timeoutMs;
          break;
        case "reasoning-delta":
          receivedChars += part.text.length;
          deadline = Date.now() + timeoutMs;
          break;
        case "finish-step":
          // This step's usage; `finish` below repeats it as the total (one step): it replaces, never adds.
          reported = reportedUsage(part.usage);
          break;
        case "error":
          if (controller.signal.aborted) return fail("aborted", { aborted: true });
          return fail(describeError(part.error, secrets), { cause: part.error });
        case "abort":
          return fail("aborted", { aborted: true });
        case "finish": {
          if (part.totalUsage) reported = reportedUsage(part.totalUsage);
          if (part.finishReason === "error") return fail("malformed_stream: the provider reported an error");
          outcome.value = { attempt: { ...base, ok: true, ...usage(true), finishReason: part.finishReason }, aborted: false };
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
  const policy = retryPolicy;
  const attempts: CallAttempt[] = [];
  for (const [index, candidate] of options.candidates.entries()) {
    const base = { provider: candidate.provider, model: candidate.model, source: candidate.source };
    const abortedTry: TryOutcome = { attempt: { ...base, ok: false, error: "aborted", usage: ZERO }, aborted: true };
    for (let retry = 1; ; retry++) {
      const outcome: { value?: TryOutcome } = {};
      yield* runTry(candidate, options, outcome);
      const { attempt, aborted, retryable, target } = outcome.value ?? abortedTry;
      attempts.push(attempt);
      if (attempt.ok) {
        yield { type: "finish", attempt };
        return;
      }
      const delayMs = retryable ? retryDelay(retryable, retry, policy) : undefined;
      if (retryable && delayMs !== undefined) {
        logFailedTry(attempt, target, `retrying in ${delayMs} ms`);
        yield { type: "retry", attempt, delayMs, message: retryMessage(retryable.reason, delayMs) };
        if (await pause(delayMs, options.signal)) continue;
        // Aborted while waiting: the retried try was reported above; this one never started.
        attempts.push(abortedTry.attempt);
        yield { type: "attempt_failed", attempt: abortedTry.attempt };
        throw new CallFailedError(attempts, true);
      }
      if (!aborted) logFailedTry(attempt, target, index < options.candidates.length - 1 ? "trying the next provider" : "no other provider to try");
      yield { type: "attempt_failed", attempt };
      if (aborted) throw new CallFailedError(attempts, true);
      break;
    }
  }
  const failure = new CallFailedError(attempts, false);
  log.error({ attempts: attempts.map((a) => ({ provider: a.provider, model: a.model, code: errorCode(a.error) })) }, "every AI provider failed");
  throw failure;
}

export interface CompletedText {
  /** The successful attempt's text only (text from failed attempts is dropped). */
  text: string;
  /** Every try (retried ones included), the successful one last. */
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
    } else attempts.push(event.attempt); // finish, or retry (a try that yielded no text)
  }
  return { text, attempts };
}

export type KeyCheck = { ok: true; provider: string; model: string } | { ok: false; provider: string; model: string; error: string };

/**
 * A tiny real call through the user's own key for `provider`, to tell them
 * whether it works. A failure comes back as a sentence made from its code
 * ("OpenAI refused the API key (HTTP 401)."); the provider's own text goes to
 * the server log only, like every failed try's.
 */
export async function checkUserKey(userId: string, provider: ProviderCandidate["provider"], signal?: AbortSignal): Promise<KeyCheck> {
  const candidate: ProviderCandidate = { provider, model: defaultModelOf(provider) ?? "", source: "user" };
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
    return { ok: false, provider, model: candidate.model, error: failureMessage(providerName(provider), err.attempts[0]?.error) };
  }
}
