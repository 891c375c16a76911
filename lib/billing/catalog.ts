import { TRIAL_CREDITS, type Plan } from "@/lib/store/types";

/**
 * Everything AUTOCREA sells, in one place: one-off credit packs and monthly
 * plans. Prices are in US cents and go to Stripe inline (`price_data`), so
 * no Price objects have to be created in the Stripe dashboard.
 */

export const CURRENCY = "usd";

export interface CreditPack {
  id: string;
  name: string;
  credits: number;
  /** US cents. */
  priceCents: number;
}

export type PaidPlanId = "creator" | "pro";

export interface PaidPlan {
  id: PaidPlanId;
  name: string;
  /** Credits granted for every paid monthly period (one `invoice.paid`). */
  monthlyCredits: number;
  /** US cents per month. */
  priceCents: number;
  description: string;
  /**
   * The value stored in users.plan / subscriptions.plan. The store's Plan
   * type predates these names ("free" | "pro" | "team"), so each paid plan
   * maps to one distinct store value; this is the only place that knows.
   */
  storePlan: Exclude<Plan, "free">;
}

export const FREE_TRIAL = {
  name: "Free trial",
  /** Granted once, at sign-up. */
  credits: TRIAL_CREDITS,
} as const;

export const CREDIT_PACKS: readonly CreditPack[] = [
  { id: "pack-500", name: "Starter pack", credits: 500, priceCents: 500 },
  { id: "pack-2000", name: "Builder pack", credits: 2_000, priceCents: 1_800 },
  { id: "pack-10000", name: "Studio pack", credits: 10_000, priceCents: 8_000 },
];

export const PAID_PLANS: readonly PaidPlan[] = [
  {
    id: "creator",
    name: "Creator",
    monthlyCredits: 1_500,
    priceCents: 1_200,
    description: "For regular side projects.",
    storePlan: "pro",
  },
  {
    id: "pro",
    name: "Pro",
    monthlyCredits: 6_000,
    priceCents: 3_900,
    description: "For building every week.",
    storePlan: "team",
  },
];

export type PurchaseKind = "pack" | "plan";

export function findPack(id: string): CreditPack | undefined {
  return CREDIT_PACKS.find((p) => p.id === id);
}

export function findPlan(id: string): PaidPlan | undefined {
  return PAID_PLANS.find((p) => p.id === id);
}

/** The paid plan a stored plan value stands for; undefined for "free". */
export function planForStorePlan(plan: Plan): PaidPlan | undefined {
  return PAID_PLANS.find((p) => p.storePlan === plan);
}

/** "Creator", "Pro" or "Free" — for people. */
export function planLabel(plan: Plan): string {
  return planForStorePlan(plan)?.name ?? "Free";
}

export function formatPrice(cents: number): string {
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: CURRENCY.toUpperCase(),
    minimumFractionDigits: cents % 100 === 0 ? 0 : 2,
  }).format(cents / 100);
}
