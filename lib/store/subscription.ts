import type { Plan, Subscription, SubscriptionStatus } from "./types";

/** Subscription states that entitle the user to the subscribed plan; any other state means "free". */
const ENTITLED: ReadonlySet<SubscriptionStatus> = new Set(["active", "trialing"]);

/** The plan a user has while this subscription is their latest. Shared by both store adapters. */
export function planForSubscription(sub: Pick<Subscription, "plan" | "status">): Plan {
  return ENTITLED.has(sub.status) ? sub.plan : "free";
}
