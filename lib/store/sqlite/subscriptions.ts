import { mergeSubscription, type StoredSubscription } from "../subscription";
import type { Subscription, SubscriptionChange, SubscriptionObservation } from "../types";
import { notFound, now, type Db } from "./db";

interface SubscriptionRow {
  user_id: string;
  stripe_customer_id: string;
  stripe_subscription_id: string;
  plan: Subscription["plan"];
  status: Subscription["status"];
  current_period_end: number;
  last_event_at: number | null;
}

function storedSubscription(db: Db, userId: string): StoredSubscription | null {
  const row = db.prepare("SELECT * FROM subscriptions WHERE user_id = ?").get(userId) as SubscriptionRow | undefined;
  if (!row) return null;
  return {
    userId: row.user_id,
    stripeCustomerId: row.stripe_customer_id,
    stripeSubscriptionId: row.stripe_subscription_id,
    plan: row.plan,
    status: row.status,
    currentPeriodEnd: row.current_period_end,
    lastEventAt: row.last_event_at,
  };
}

/** The user's current subscription. */
export function currentSubscription(db: Db, userId: string): Subscription | null {
  const stored = storedSubscription(db, userId);
  if (!stored) return null;
  return {
    userId: stored.userId,
    stripeCustomerId: stored.stripeCustomerId,
    stripeSubscriptionId: stored.stripeSubscriptionId,
    plan: stored.plan,
    status: stored.status,
    currentPeriodEnd: stored.currentPeriodEnd,
  };
}

/**
 * Applies one observed subscription state with the shared rule
 * (mergeSubscription). Must run inside the transaction that records the
 * event, so the rule decides on what it then writes over. Unknown user → not_found.
 */
export function applySubscriptionObservation(db: Db, observed: SubscriptionObservation): SubscriptionChange {
  if (!db.prepare("SELECT 1 FROM users WHERE id = ?").get(observed.userId)) throw notFound("User");
  const remembered = db
    .prepare("SELECT 1 FROM ended_subscriptions WHERE user_id = ? AND stripe_subscription_id = ?")
    .get(observed.userId, observed.stripeSubscriptionId);
  const merge = mergeSubscription(storedSubscription(db, observed.userId), !!remembered, observed);
  if (merge.rememberEnded) {
    db.prepare(
      `INSERT INTO ended_subscriptions (user_id, stripe_subscription_id, recorded_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id, stripe_subscription_id) DO NOTHING`,
    ).run(observed.userId, observed.stripeSubscriptionId, now());
  }
  if (merge.row) {
    db.prepare(
      `INSERT INTO subscriptions (user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_end, last_event_at)
       VALUES (@userId, @stripeCustomerId, @stripeSubscriptionId, @plan, @status, @currentPeriodEnd, @lastEventAt)
       ON CONFLICT (user_id) DO UPDATE SET
         stripe_customer_id = excluded.stripe_customer_id,
         stripe_subscription_id = excluded.stripe_subscription_id,
         plan = excluded.plan,
         status = excluded.status,
         current_period_end = excluded.current_period_end,
         last_event_at = excluded.last_event_at`,
    ).run(merge.row);
    db.prepare("UPDATE users SET plan = ? WHERE id = ?").run(merge.change.plan, observed.userId);
  }
  return merge.change;
}
