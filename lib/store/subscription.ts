import type { Plan, Subscription, SubscriptionChange, SubscriptionObservation, SubscriptionStatus } from "./types";

/** Subscription states that entitle the user to the subscribed plan; any other state means "free". */
const ENTITLED: ReadonlySet<SubscriptionStatus> = new Set(["active", "trialing"]);

/** Final states in Stripe: a subscription in one of them never runs again. */
const TERMINAL: ReadonlySet<SubscriptionStatus> = new Set(["canceled", "incomplete_expired"]);

export function isTerminalStatus(status: SubscriptionStatus): boolean {
  return TERMINAL.has(status);
}

/** The plan a user has while this subscription is their current one. Shared by both store adapters. */
export function planForSubscription(sub: Pick<Subscription, "plan" | "status">): Plan {
  return ENTITLED.has(sub.status) ? sub.plan : "free";
}

/** The current subscription row as the stores keep it: also when Stripe created the latest event that wrote it. */
export interface StoredSubscription extends Subscription {
  /** Epoch ms; null for rows written before it was kept. */
  lastEventAt: number | null;
}

/**
 * What the store writes for one observation, as decided by {@link mergeSubscription}:
 * `row` (only for a "current" change) replaces the user's row and sets their plan to
 * `change.plan`; `rememberEnded` remembers the observed id as ended for the user.
 */
export type SubscriptionMerge =
  | { change: Extract<SubscriptionChange, { kind: "current" }>; row: StoredSubscription; rememberEnded: boolean }
  | { change: Exclude<SubscriptionChange, { kind: "current" }>; row?: undefined; rememberEnded: boolean };

/**
 * The subscription rule. Both store adapters apply it inside the transaction
 * (SQLite) or mutation (Convex) that records the webhook event, to what that
 * transaction read: the user's current subscription row, and whether the
 * observed subscription id is remembered as ended for the user.
 *
 * 1. An ended subscription stays ended: news of one (remembered as ended, or
 *    the current row in a final state) changes nothing, whatever its status.
 * 2. A final state (canceled, incomplete_expired) is remembered. When the
 *    subscription is the current one, or the user has none, the row takes
 *    that state (plan free); otherwise nothing else changes ("ended").
 * 3. Any other state updates the row when the subscription is the current
 *    one or the user has none. Another subscription replaces the current one
 *    when the current one has ended; while the current one runs, only when
 *    its event is not older than the one that last wrote the row and it is
 *    entitled (active, trialing) or the current one is not. Otherwise nothing
 *    changes ("not_current").
 * The plan follows the row only (planForSubscription). What the event did
 * not carry is kept from the row: the customer id (the user's Stripe
 * customer), and for the same subscription the period end (else 0).
 */
export function mergeSubscription(
  current: StoredSubscription | null,
  rememberedEnded: boolean,
  observed: SubscriptionObservation,
): SubscriptionMerge {
  const same = current !== null && current.stripeSubscriptionId === observed.stripeSubscriptionId;
  if (rememberedEnded || (same && isTerminalStatus(current.status))) {
    // Ended before (a row in a final state written before ended ids were kept is remembered now).
    return { change: { kind: "unchanged", reason: "subscription_ended" }, rememberEnded: !rememberedEnded };
  }
  const terminal = isTerminalStatus(observed.status);
  if (current !== null && !same && (terminal || !replacesCurrent(current, observed))) {
    return terminal
      ? { change: { kind: "ended" }, rememberEnded: true }
      : { change: { kind: "unchanged", reason: "not_current" }, rememberEnded: false };
  }
  const subscription: Subscription = {
    userId: observed.userId,
    stripeCustomerId: observed.stripeCustomerId || current?.stripeCustomerId || "",
    stripeSubscriptionId: observed.stripeSubscriptionId,
    plan: observed.plan,
    status: observed.status,
    currentPeriodEnd: observed.currentPeriodEnd ?? (same ? current.currentPeriodEnd : 0),
  };
  const lastEventAt = latest(same ? current.lastEventAt : null, observed.eventAt ?? null);
  return {
    change: { kind: "current", subscription, plan: planForSubscription(subscription) },
    row: { ...subscription, lastEventAt },
    rememberEnded: terminal,
  };
}

/** Whether news of another, live subscription takes the place of the current one. */
function replacesCurrent(current: StoredSubscription, observed: SubscriptionObservation): boolean {
  if (isTerminalStatus(current.status)) return true;
  const older = observed.eventAt !== undefined && current.lastEventAt !== null && observed.eventAt < current.lastEventAt;
  return !older && (ENTITLED.has(observed.status) || !ENTITLED.has(current.status));
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
