import type { AiRequestKind } from "@/lib/store/types";
import { priceOf, type ModelWeights } from "./catalog";
import type { CallAttempt, ProviderCandidate, RoleName, Usage } from "./types";

/**
 * Credits for AI usage (docs/architecture.md#credits).
 *
 * Weights are integer milli-credits per 1,000 tokens, so every computation is
 * integer arithmetic and exact:
 *
 *   micro = inputTokens × inputMilliPer1K + outputTokens × outputMilliPer1K   (millionths of a credit)
 *   credits = ceil(micro / 1_000_000)
 *
 * A run (or one AI action, or one change request) sums the exact micro-credits
 * of all its attempts and rounds UP once, at its end (CreditTally): a run whose
 * exact price is 2.34 credits is charged 3, not the sum of per-request
 * ceilings. 0 tokens cost 0 credits; any usage costs at least 1.
 */

/** Which model's price applies: prices are per provider and model (lib/ai/catalog.ts). */
export type PricedModel = Pick<ProviderCandidate, "provider" | "model">;

const MICRO_PER_CREDIT = 1_000 * 1_000;

export function weightsFor(model: PricedModel): ModelWeights {
  return priceOf(model.provider, model.model);
}

function tokenCount(n: number): number {
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.floor(n);
}

/** Exact millionths of a credit for this usage on this model. */
export function microCreditsFor(model: PricedModel, usage: Usage): number {
  const w = weightsFor(model);
  return tokenCount(usage.inputTokens) * w.inputMilliPer1K + tokenCount(usage.outputTokens) * w.outputMilliPer1K;
}

/** Whole credits for this usage alone, rounded up (estimates, and a tally's total). */
export function creditsFor(model: PricedModel, usage: Usage): number {
  return Math.ceil(microCreditsFor(model, usage) / MICRO_PER_CREDIT);
}

/**
 * What an attempt costs the user, in millionths of a credit. A call made with
 * the user's own key is paid by the user to the provider directly: 0 (its
 * tokens are still recorded as usage).
 */
export function microCreditsForAttempt(attempt: CallAttempt): number {
  if (attempt.source === "user") return 0;
  return microCreditsFor(attempt, attempt.usage);
}

/**
 * The exact price of one run, action or change request so far, and the whole
 * credits due for it: `add` returns how many more whole credits the running
 * total has reached, so charging each return value charges ceil(exact total)
 * in all — never more than one credit of rounding per run.
 */
export class CreditTally {
  private micro = 0;
  private due = 0;

  add(attempt: CallAttempt): number {
    this.micro += microCreditsForAttempt(attempt);
    const total = Math.ceil(this.micro / MICRO_PER_CREDIT);
    const more = total - this.due;
    this.due = total;
    return more;
  }

  /** The exact price so far, in credits (fractional). */
  get exactCredits(): number {
    return this.micro / MICRO_PER_CREDIT;
  }
}

// ---------------------------------------------------------------- estimates

/** Rough tokens per character of prompt text (conservative for code, which tokenizes densely). */
const CHARS_PER_TOKEN = 3;

export function tokensForChars(chars: number): number {
  return Math.ceil(Math.max(0, chars) / CHARS_PER_TOKEN);
}

/**
 * Expected tokens per role step beyond the user's prompt: `input` covers the
 * system prompt plus what the role reads (the plan, other roles' files),
 * `output` what it usually writes.
 */
export const ROLE_TOKEN_BUDGET: Readonly<Record<RoleName, Usage>> = {
  architect: { inputTokens: 2_000, outputTokens: 3_000 },
  backend: { inputTokens: 5_000, outputTokens: 8_000 },
  frontend: { inputTokens: 5_000, outputTokens: 10_000 },
  devops: { inputTokens: 4_000, outputTokens: 2_000 },
  security: { inputTokens: 12_000, outputTokens: 2_000 },
  tester: { inputTokens: 10_000, outputTokens: 4_000 },
  fixer: { inputTokens: 12_000, outputTokens: 4_000 },
  // A change request's input is the context it was given (estimated from its characters), not a fixed budget.
  editor: { inputTokens: 1_000, outputTokens: 4_000 },
};

export interface RunEstimateInput {
  /** One entry per planned step; repeat a role (e.g. "fixer") for each expected pass. */
  roles: readonly RoleName[];
  promptChars: number;
  model: PricedModel;
}

/** Credits to reserve before a run: every step reads the prompt plus its budget. */
export function estimateRunCredits({ roles, promptChars, model }: RunEstimateInput): number {
  const promptTokens = tokensForChars(promptChars);
  let inputTokens = 0;
  let outputTokens = 0;
  for (const role of roles) {
    inputTokens += ROLE_TOKEN_BUDGET[role].inputTokens + promptTokens;
    outputTokens += ROLE_TOKEN_BUDGET[role].outputTokens;
  }
  return creditsFor(model, { inputTokens, outputTokens });
}

/** System prompt overhead per single-shot action, in tokens. */
const ACTION_OVERHEAD_TOKENS = 400;

export interface CallEstimateInput {
  kind: AiRequestKind;
  /** Characters of everything the prompt carries (code, history, instruction…). */
  inputChars: number;
  /** The call's output cap: the estimate assumes it is reached. */
  maxOutputTokens: number;
  model: PricedModel;
}

/** Credits to reserve for one explain/fix/refactor/complete/chat call (an upper bound for its output). */
export function estimateCallCredits({ inputChars, maxOutputTokens, model }: CallEstimateInput): number {
  return creditsFor(model, {
    inputTokens: tokensForChars(inputChars) + ACTION_OVERHEAD_TOKENS,
    outputTokens: maxOutputTokens,
  });
}

/**
 * The estimate for the dearest platform model among the candidates, so the
 * reservation covers a fallback to any of them. User-key candidates cost 0.
 */
export function maxPlatformEstimate(candidates: readonly ProviderCandidate[], estimate: (model: PricedModel) => number): number {
  let max = 0;
  for (const c of candidates) {
    if (c.source === "platform") max = Math.max(max, estimate(c));
  }
  return max;
}
