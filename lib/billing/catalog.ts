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

/** A paid plan's id is also what users.plan / subscriptions.plan store. */
export type PaidPlanId = Exclude<Plan, "free">;

export interface PaidPlan {
  id: PaidPlanId;
  name: string;
  /** Credits granted for every paid monthly period (one `invoice.paid`). */
  monthlyCredits: number;
  /** US cents per month. */
  priceCents: number;
  description: string;
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
  },
  {
    id: "pro",
    name: "Pro",
    monthlyCredits: 6_000,
    priceCents: 3_900,
    description: "For building every week.",
  },
];

export type PurchaseKind = "pack" | "plan";

export function findPack(id: string): CreditPack | undefined {
  return CREDIT_PACKS.find((p) => p.id === id);
}

/** The paid plan with this id; a stored plan value works too ("free" gives undefined). */
export function findPlan(id: string): PaidPlan | undefined {
  return PAID_PLANS.find((p) => p.id === id);
}

export function formatPrice(cents: number): string {
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: CURRENCY.toUpperCase(),
    minimumFractionDigits: cents % 100 === 0 ? 0 : 2,
  }).format(cents / 100);
}
