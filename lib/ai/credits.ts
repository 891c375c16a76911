import type { Id, Store } from "@/lib/store/types";
import { CreditTally, tokensForChars, weightsFor } from "./pricing";
import type { CallAttempt, ChatMessage, ProviderCandidate, RunEvent } from "./types";

/** Most a single call may write, whatever the reservation. */
export const MAX_OUTPUT_TOKENS_PER_CALL = 16_000;
/** Below this many affordable output tokens a step is not worth starting: the run stops at its cap. */
export const MIN_OUTPUT_TOKENS_PER_CALL = 256;

const MILLI_PER_CREDIT_PER_1K = 1_000_000;

/**
 * The run's side of its reservation: sums each attempt's usage exactly and
 * charges the whole credits the run's running total reaches (so the run pays
 * ceil(exact total), rounded once — pricing.ts CreditTally); the store caps
 * charges at what remains. Emits the meter, and tells the run when the
 * reservation is exhausted, the hard cap.
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

  get remaining(): number {
    return Math.max(0, this.reserved - this.spentCredits);
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
    const credits = this.tally.add(attempt);
    if (credits === 0) return 0;
    const result = await this.store.chargeReservation(this.reservationId, credits);
    this.spentCredits = result.spent;
    await this.emit({ type: "meter", spent: result.spent, reserved: this.reserved });
    if (result.exhausted || result.remaining === 0) this.stopAtCap();
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
      const w = weightsFor(c.model);
      const budget = this.remaining * MILLI_PER_CREDIT_PER_1K - inputTokens * w.inputMilliPer1K;
      affordable = Math.min(affordable, Math.floor(budget / Math.max(1, w.outputMilliPer1K)));
    }
    return Math.max(0, affordable);
  }

  /** Whether a call with these messages can still be afforded. */
  canAfford(messages: readonly ChatMessage[]): boolean {
    return !this.exhausted && this.maxOutputTokens(messages) >= MIN_OUTPUT_TOKENS_PER_CALL;
  }
}
