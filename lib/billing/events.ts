import type Stripe from "stripe";
import type { Store, SubscriptionObservation, SubscriptionStatus, WebhookEffects, WebhookRecordResult } from "@/lib/store/types";
import { findPack, findPlan } from "./catalog";

/**
 * What each Stripe event does to our model. Rules:
 * - Pack credits: `checkout.session.completed` with payment_status "paid", or
 *   `checkout.session.async_payment_succeeded`; key `checkout:<session id>`,
 *   so a session is credited once whichever of the two arrives (or both).
 * - Plan credits: only `invoice.paid` (key `invoice:<invoice id>`), for the
 *   first period (billing_reason subscription_create) and every renewal
 *   (subscription_cycle). A subscription checkout grants nothing itself, so
 *   the first month can never be credited twice. Proration invoices
 *   (subscription_update) and manual ones grant nothing. A paid period is
 *   granted even when its subscription has ended since.
 * - Plan and status: `customer.subscription.created|updated|deleted`, and
 *   `invoice.paid` (active) / `invoice.payment_failed` (past_due, or
 *   incomplete for a failed first invoice). This module only says what the
 *   event observed about which subscription (a SubscriptionObservation, with
 *   no field the event did not carry); it reads nothing of the store's
 *   subscription state. The store decides what that changes with the one
 *   rule in lib/store/subscription.ts (mergeSubscription), inside the
 *   transaction that records the event:
 *   - A subscription that ended (canceled, incomplete_expired) stays ended:
 *     the store remembers every ended subscription id per user, and no later
 *     event for it (an "active" update, an invoice) revives it or changes
 *     the plan.
 *   - Only the user's current subscription (the store's one row per user)
 *     sets the plan. A final state of a subscription that is not the current
 *     one is remembered and changes nothing else. Another live subscription
 *     replaces the current one when the current one has ended; while it
 *     runs, only by an event not older (Stripe's `created`) than the one
 *     that last wrote the row, and only if it is entitled (active, trialing)
 *     or the current one is not.
 *   - What the event does not carry (customer id, period end) is taken from
 *     the row by that rule, not read here.
 * Every handled event is recorded with store.recordWebhookEvent together with
 * its effects: one transaction, once per event id. The outcome carries what
 * that transaction really applied (credits granted, 0 when the grant's key
 * was already used; the subscription change, or none).
 */

export type EventDecision =
  | { kind: "apply"; effects: WebhookEffects }
  /** Recorded (so a redelivery is a duplicate) but changes nothing. */
  | { kind: "record"; reason: string }
  /** An event type we do not subscribe to: not even recorded. */
  | { kind: "ignore" };

export type EventOutcome =
  /** Recorded with its effects; `result` says what the store really applied. */
  | { kind: "applied"; effects: WebhookEffects; result: Extract<WebhookRecordResult, { kind: "first" }> }
  | { kind: "recorded"; reason: string }
  | { kind: "duplicate" }
  | { kind: "ignored" };

export const HANDLED_EVENT_TYPES = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "invoice.paid",
  "invoice.payment_failed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
] as const;

const MAX_CREDITS_PER_EVENT = 10_000_000;
const STATUSES: ReadonlySet<string> = new Set<SubscriptionStatus>([
  "active",
  "trialing",
  "past_due",
  "canceled",
  "incomplete",
  "incomplete_expired",
  "unpaid",
  "paused",
]);

/** Applies one verified event to the store, once. */
export async function handleStripeEvent(store: Store, event: Stripe.Event): Promise<EventOutcome> {
  const decision = await decide(store, event);
  if (decision.kind === "ignore") return { kind: "ignored" };
  const effects = decision.kind === "apply" ? decision.effects : {};
  const result = await store.recordWebhookEvent("stripe", event.id, effects);
  if (result.kind === "duplicate") return { kind: "duplicate" };
  return decision.kind === "apply" ? { kind: "applied", effects, result } : { kind: "recorded", reason: decision.reason };
}

async function decide(store: Store, event: Stripe.Event): Promise<EventDecision> {
  switch (event.type) {
    case "checkout.session.completed":
      return checkoutDecision(store, event.data.object, event.data.object.payment_status === "paid");
    case "checkout.session.async_payment_succeeded":
      return checkoutDecision(store, event.data.object, true);
    case "invoice.paid":
      return invoiceDecision(store, event.data.object, "paid", eventAt(event));
    case "invoice.payment_failed":
      return invoiceDecision(store, event.data.object, "failed", eventAt(event));
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return subscriptionDecision(store, event.data.object, event.type === "customer.subscription.deleted", eventAt(event));
    default:
      return { kind: "ignore" };
  }
}

async function checkoutDecision(store: Store, session: Stripe.Checkout.Session, paid: boolean): Promise<EventDecision> {
  if (session.mode !== "payment") return { kind: "record", reason: "subscription_checkout_credited_by_invoice" };
  if (!paid) return { kind: "record", reason: "payment_pending" };
  const meta = session.metadata ?? {};
  const userId = meta.userId || session.client_reference_id;
  if (!userId || !(await store.getUser(userId))) return { kind: "record", reason: "unknown_user" };
  const credits = creditsFrom(meta.credits) ?? (meta.id ? findPack(meta.id)?.credits : undefined);
  if (!credits) return { kind: "record", reason: "unknown_item" };
  return {
    kind: "apply",
    effects: { grant: { userId, amount: credits, reason: "purchase", idempotencyKey: `checkout:${session.id}` } },
  };
}

async function invoiceDecision(
  store: Store,
  invoice: Stripe.Invoice,
  outcome: "paid" | "failed",
  at: number | undefined,
): Promise<EventDecision> {
  const details = invoiceSubscription(invoice);
  if (!details) return { kind: "record", reason: "not_a_subscription_invoice" };
  const userId = details.metadata.userId;
  const plan = details.metadata.id ? findPlan(details.metadata.id) : undefined;
  if (!userId || !plan || !(await store.getUser(userId))) return { kind: "record", reason: "unknown_subscription" };

  const reason = (invoice as { billing_reason?: string | null }).billing_reason;
  // A failed first invoice leaves the subscription incomplete (Stripe's word); a failed renewal, past_due.
  const failedStatus: SubscriptionStatus = reason === "subscription_create" ? "incomplete" : "past_due";
  const effects: WebhookEffects = {
    subscription: {
      userId,
      stripeSubscriptionId: details.subscriptionId,
      stripeCustomerId: idOf(invoice.customer),
      plan: plan.id,
      status: outcome === "paid" ? "active" : failedStatus,
      currentPeriodEnd: invoicePeriodEnd(invoice),
      eventAt: at,
    },
  };
  if (outcome === "paid" && (reason === "subscription_create" || reason === "subscription_cycle")) {
    effects.grant = { userId, amount: plan.monthlyCredits, reason: "subscription", idempotencyKey: `invoice:${invoice.id}` };
  }
  return { kind: "apply", effects };
}

async function subscriptionDecision(
  store: Store,
  sub: Stripe.Subscription,
  deleted: boolean,
  at: number | undefined,
): Promise<EventDecision> {
  const meta = sub.metadata ?? {};
  const userId = meta.userId;
  const plan = meta.id ? findPlan(meta.id) : undefined;
  if (!userId || !plan || !(await store.getUser(userId))) return { kind: "record", reason: "unknown_subscription" };
  const status: SubscriptionStatus = deleted ? "canceled" : STATUSES.has(sub.status) ? (sub.status as SubscriptionStatus) : "incomplete";
  const subscription: SubscriptionObservation = {
    userId,
    stripeSubscriptionId: sub.id,
    stripeCustomerId: idOf(sub.customer),
    plan: plan.id,
    status,
    currentPeriodEnd: subscriptionPeriodEnd(sub),
    eventAt: at,
  };
  return { kind: "apply", effects: { subscription } };
}

/** When Stripe created the event, epoch ms (a redelivery keeps it). */
function eventAt(event: Stripe.Event): number | undefined {
  return typeof event.created === "number" ? event.created * 1000 : undefined;
}

function creditsFrom(value: string | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 && n <= MAX_CREDITS_PER_EVENT ? n : undefined;
}

function idOf(ref: string | { id: string } | null | undefined): string | undefined {
  if (!ref) return undefined;
  return typeof ref === "string" ? ref : ref.id;
}

type LooseMetadata = Record<string, string | undefined>;

/**
 * The subscription an invoice bills and the subscription's metadata. Current
 * API versions put both under `parent.subscription_details`; endpoints on
 * older versions send `subscription` and `subscription_details` at the top.
 */
function invoiceSubscription(invoice: Stripe.Invoice): { subscriptionId: string; metadata: LooseMetadata } | undefined {
  const legacy = invoice as unknown as {
    subscription?: string | { id: string } | null;
    subscription_details?: { metadata?: LooseMetadata | null } | null;
  };
  const details = invoice.parent?.subscription_details;
  const subscriptionId = idOf(details?.subscription) ?? idOf(legacy.subscription);
  if (!subscriptionId) return undefined;
  return { subscriptionId, metadata: details?.metadata ?? legacy.subscription_details?.metadata ?? {} };
}

/** Epoch ms of the latest period end among the invoice's lines. */
function invoicePeriodEnd(invoice: Stripe.Invoice): number | undefined {
  const ends = (invoice.lines?.data ?? []).map((line) => line.period?.end).filter((e): e is number => typeof e === "number");
  return ends.length ? Math.max(...ends) * 1000 : undefined;
}

/** Epoch ms; per item on current API versions, on the subscription on older ones. */
function subscriptionPeriodEnd(sub: Stripe.Subscription): number | undefined {
  const ends = (sub.items?.data ?? [])
    .map((item) => (item as { current_period_end?: number }).current_period_end)
    .filter((e): e is number => typeof e === "number");
  const legacy = (sub as unknown as { current_period_end?: number }).current_period_end;
  if (ends.length) return Math.max(...ends) * 1000;
  return typeof legacy === "number" ? legacy * 1000 : undefined;
}
