import { randomUUID } from "node:crypto";
import { HttpError } from "@/lib/http/errors";
import { getStore, type AiRequestKind, type Id } from "@/lib/store";
import { CallFailedError, streamCompletion } from "../call";
import { chargeAttempt, reserveOrThrow, settleHold, totalUsage, type Hold } from "../credits";
import { CreditTally, estimateCallCredits, maxPlatformEstimate } from "../pricing";
import { resolveCandidates } from "../model-choice";
import type { CallAttempt, ChatMessage, ProviderCandidate } from "../types";

/**
 * Single-shot AI calls (explain, fix, refactor, complete, chat): reserve the
 * estimate, stream the answer while charging each attempt, settle always and
 * record one aiRequests row per call. The credit hold itself is lib/ai/credits.ts.
 */

export interface PrepareCallInput {
  userId: Id;
  kind: AiRequestKind;
  /** Characters the prompt carries (for the estimate). */
  inputChars: number;
  maxOutputTokens: number;
  /** A ModelOption id the user picked (lib/ai/model-choice.ts). */
  model?: string;
}

export interface PreparedCall {
  userId: Id;
  kind: AiRequestKind;
  candidates: ProviderCandidate[];
  hold: Hold;
  estimate: number;
  maxOutputTokens: number;
}

/**
 * Resolves providers and reserves the estimate for the dearest platform
 * candidate. When credits are short but the user has their own keys, the
 * call goes ahead on those keys only (they cost no credits); otherwise 402.
 * Throws before anything starts: NoProviderError (503), 402.
 */
export async function prepareCall(input: PrepareCallInput): Promise<PreparedCall> {
  const candidates = await resolveCandidates(input.userId, { model: input.model });
  const estimate = maxPlatformEstimate(candidates, (model) =>
    estimateCallCredits({ kind: input.kind, inputChars: input.inputChars, maxOutputTokens: input.maxOutputTokens, model }),
  );
  const base = { userId: input.userId, kind: input.kind, estimate, maxOutputTokens: input.maxOutputTokens };
  try {
    const hold = await reserveOrThrow(input.userId, estimate, `ai:${input.kind}:${randomUUID()}`);
    return { ...base, candidates, hold };
  } catch (err) {
    const own = candidates.filter((c) => c.source === "user");
    if (err instanceof HttpError && err.status === 402 && own.length > 0) {
      return { ...base, candidates: own, hold: { reservationId: null, amount: 0 } };
    }
    throw err;
  }
}

/** What the caller learns once the call is over (success or not). Safe to send to the browser. */
export interface CallSummary {
  ok: boolean;
  /** Set when !ok: a message for people. */
  error?: string;
  aborted: boolean;
  credits: number;
  inputTokens: number;
  outputTokens: number;
  provider: string | null;
  model: string | null;
  /** The user's balance after settling (null when nothing was held). */
  balance: number | null;
  attempts: { provider: string; model: string; ok: boolean; error?: string }[];
}

export type MeteredEvent =
  | { type: "text"; text: string }
  /** The same provider is tried again after `delayMs`; `message` is a sentence for people. */
  | { type: "retry"; message: string; delayMs: number }
  | { type: "attempt_failed"; provider: string; model: string; error: string }
  | { type: "done"; summary: CallSummary };

export interface RunCallInput {
  messages: ChatMessage[];
  projectId?: Id | null;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Only the error code goes to the browser; provider details stay server-side. */
const publicError = (error: string | undefined) => (error ? error.split(":")[0] : undefined);

function failureMessage(failure: CallFailedError): string {
  if (failure.aborted) return "The AI call was canceled.";
  // Retries of one provider fail alike: each provider and code once.
  const tried = [...new Set(failure.attempts.map((a) => `${a.provider}: ${publicError(a.error) ?? "error"}`))].join(", ");
  return `Every AI provider failed (${tried}).`;
}

/**
 * Runs a prepared call: streams text, charges every attempt, and ends with
 * one `done` event. Settling and recording happen in `finally`, so they also
 * run when the consumer stops early or the call throws.
 */
export async function* meteredCompletion(call: PreparedCall, input: RunCallInput): AsyncGenerator<MeteredEvent> {
  const attempts: CallAttempt[] = [];
  const tally = new CreditTally();
  let charged = 0;
  let failure: CallFailedError | undefined;
  let balance: number | null = null;
  let settled = false;
  const store = await getStore();

  const settleAndRecord = async () => {
    if (settled) return;
    settled = true;
    const settle = await settleHold(call.hold);
    balance = settle ? settle.balance : null;
    const usage = totalUsage(attempts);
    const last = attempts.at(-1);
    await store.recordAiRequest({
      userId: call.userId,
      projectId: input.projectId ?? null,
      kind: call.kind,
      model: last?.model ?? call.candidates[0]?.model ?? "unknown",
      tokens: usage.inputTokens + usage.outputTokens,
      credits: charged,
    });
  };

  try {
    try {
      for await (const event of streamCompletion({
        candidates: call.candidates,
        messages: input.messages,
        maxOutputTokens: call.maxOutputTokens,
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        userId: call.userId,
      })) {
        if (event.type === "text") {
          yield event;
          continue;
        }
        attempts.push(event.attempt);
        charged += await chargeAttempt(call.hold, tally, event.attempt);
        if (event.type === "retry") yield { type: "retry", message: event.message, delayMs: event.delayMs };
        else if (event.type === "attempt_failed") {
          yield {
            type: "attempt_failed",
            provider: event.attempt.provider,
            model: event.attempt.model,
            error: publicError(event.attempt.error) ?? "error",
          };
        }
      }
    } catch (err) {
      if (!(err instanceof CallFailedError)) throw err;
      failure = err;
    }
    await settleAndRecord();
    const usage = totalUsage(attempts);
    const final = attempts.at(-1);
    yield {
      type: "done",
      summary: {
        ok: !failure,
        error: failure ? failureMessage(failure) : undefined,
        aborted: failure?.aborted ?? false,
        credits: charged,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        provider: final?.provider ?? null,
        model: final?.model ?? null,
        balance,
        attempts: attempts.map((a) => ({ provider: a.provider, model: a.model, ok: a.ok, error: publicError(a.error) })),
      },
    };
  } finally {
    await settleAndRecord();
  }
}
