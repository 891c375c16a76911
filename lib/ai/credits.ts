import { HttpError } from "@/lib/http/errors";
import { getStore, type ChargeResult, type Id, type SettleResult, type Store } from "@/lib/store";
import { CreditTally, tokensForChars, weightsFor } from "./pricing";
import type { CallAttempt, ChatMessage, ProviderCandidate, RunEvent, Usage } from "./types";

/**
 * How every AI call and run is paid for (docs/architecture.md#credits): reserve the estimate
 * (402 with {required, available} and nothing started when short), charge
 * each attempt's reported usage against the reservation (capped by the
 * store), settle ALWAYS (refunding the rest).
 *
 * The one place credits are held and charged: single-shot actions use
 * reserveOrThrow, chargeAttempt and settleHold
 * (lib/ai/actions/metered-call.ts); a run's one reservation
 * (lib/ai/runs/start.ts) pays all its steps, charged through its Meter
 * (lib/ai/runs/execute.ts). Both charge through chargeTally.
 */

export function insufficientCredits(required: number, available: number): HttpError {
  return new HttpError(
    402,
    "insufficient_credits",
    `This needs ${required} credits and you have ${available}.`,
    { required, available },
  );
}

/** Credits held for one call or run; `reservationId` null when nothing needed holding (estimate 0). */
export interface Hold {
  reservationId: Id | null;
  amount: number;
}

/** Reserves `amount` credits; throws HttpError 402 `{required, available}` when the balance is short. */
export async function reserveOrThrow(userId: Id, amount: number, idempotencyKey: string): Promise<Hold> {
  if (amount <= 0) return { reservationId: null, amount: 0 };
  const store = await getStore();
  const result = await store.reserveCredits(userId, amount, idempotencyKey);
  if (!result.ok) throw insufficientCredits(result.required, result.available);
  return { reservationId: result.reservation.id, amount };
}

/**
 * Adds one attempt to the tally and charges the reservation the whole credits
 * its total reached, so a call or run pays ceil(exact total), rounded once
 * (pricing.ts CreditTally), not a ceiling per attempt. null when nothing was
 * charged: nothing is held (the user's own key) or the total has not reached
 * the next credit. The store caps the charge at what the reservation has left.
 */
async function chargeTally(
  reservationId: Id | null,
  tally: CreditTally,
  attempt: CallAttempt,
  store?: Store,
): Promise<ChargeResult | null> {
  const credits = tally.add(attempt);
  if (reservationId === null || credits === 0) return null;
  return (store ?? (await getStore())).chargeReservation(reservationId, credits);
}

/**
 * Adds one attempt to the call's tally and charges the whole credits its total reached (0 for the
 * user's own key): a call is charged ceil(exact total) once, not a ceiling per attempt. Returns the
 * credits charged (the store caps them at what the hold has left).
 */
export async function chargeAttempt(hold: Hold, tally: CreditTally, attempt: CallAttempt): Promise<number> {
  return (await chargeTally(hold.reservationId, tally, attempt))?.charged ?? 0;
}

/** Closes the hold and refunds what was not spent. Safe to call twice. */
export async function settleHold(hold: Hold): Promise<SettleResult | null> {
  if (hold.reservationId === null) return null;
  const store = await getStore();
  return store.settleReservation(hold.reservationId);
}

export function totalUsage(attempts: readonly CallAttempt[]): Usage {
  return attempts.reduce(
    (sum, a) => ({ inputTokens: sum.inputTokens + a.usage.inputTokens, outputTokens: sum.outputTokens + a.usage.outputTokens }),
    { inputTokens: 0, outputTokens: 0 },
  );
}

// ---------------------------------------------------------------- a run's meter

/** Most a single call may write, whatever the reservation. */
export const MAX_OUTPUT_TOKENS_PER_CALL = 16_000;
/** Below this many affordable output tokens a step is not worth starting: the run stops at its cap. */
export const MIN_OUTPUT_TOKENS_PER_CALL = 256;

const MILLI_PER_CREDIT_PER_1K = 1_000_000;

/**
 * The run's side of its reservation: sums each attempt's usage exactly and
 * charges the whole credits the run's running total reaches (chargeTally: the
 * run pays ceil(exact total), rounded once); the store caps charges at what
 * remains. Emits the meter, and tells the run when the reservation is
 * exhausted, the hard cap.
 */
export class Meter {
  private spentCredits = 0;
  private exhausted = false;
  private readonly tally = new CreditTally();

  constructor(
    private readonly store: Store,
    private readonly reservationId: Id,
    readonly reserved: number,
    private readonly candidates: readonly ProviderCandidate[],
    private readonly emit: (event: RunEvent) => Promise<void>,
    private readonly onExhausted: () => void,
  ) {}

  get spent(): number {
    return this.spentCredits;
  }

  /**
   * What the reservation can still pay for, in (fractional) credits: measured on the exact total,
   * not on the whole credits charged, which round up — a run on a cheap model charged 1 credit for
   * its first 0.01 has almost all of a 1-credit reservation left.
   */
  get remaining(): number {
    return Math.max(0, this.reserved - this.tally.exactCredits);
  }

  get isExhausted(): boolean {
    return this.exhausted;
  }

  /** The hard cap: no further call can be paid for. */
  stopAtCap(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    this.onExhausted();
  }

  /** The run's exact price so far, in (fractional) credits. */
  get exactCredits(): number {
    return this.tally.exactCredits;
  }

  /** Adds one attempt to the run's total; returns the whole credits this charged (often 0: the total had not reached the next credit). */
  async charge(attempt: CallAttempt): Promise<number> {
    const result = await chargeTally(this.reservationId, this.tally, attempt, this.store);
    if (!result) return 0;
    this.spentCredits = result.spent;
    await this.emit({ type: "meter", spent: result.spent, reserved: this.reserved });
    if (result.exhausted || this.remaining === 0) this.stopAtCap();
    return result.charged;
  }

  /**
   * The output tokens the remaining reservation can pay for after reading
   * `messages`, priced at the dearest platform candidate, so no call can
   * run far past the cap. 0 when not even a small answer fits.
   */
  maxOutputTokens(messages: readonly ChatMessage[]): number {
    const platform = this.candidates.filter((c) => c.source === "platform");
    if (platform.length === 0) return MAX_OUTPUT_TOKENS_PER_CALL;
    const inputTokens = tokensForChars(messages.reduce((n, m) => n + m.content.length, 0));
    let affordable = MAX_OUTPUT_TOKENS_PER_CALL;
    for (const c of platform) {
      const w = weightsFor(c);
      const budget = Math.floor(this.remaining * MILLI_PER_CREDIT_PER_1K) - inputTokens * w.inputMilliPer1K;
      affordable = Math.min(affordable, Math.floor(budget / Math.max(1, w.outputMilliPer1K)));
    }
    return Math.max(0, affordable);
  }

  /** Whether a call with these messages can still be afforded. */
  canAfford(messages: readonly ChatMessage[]): boolean {
    return !this.exhausted && this.maxOutputTokens(messages) >= MIN_OUTPUT_TOKENS_PER_CALL;
  }
}
