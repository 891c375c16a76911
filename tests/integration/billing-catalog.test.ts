import { describe, expect, it } from "vitest";
import { CREDIT_PACKS, PAID_PLANS, findPack, findPlan, formatPrice } from "@/lib/billing/catalog";
import { TRIAL_CREDITS, type Plan } from "@/lib/store/types";

describe("billing catalog", () => {
  it("sells the three packs and two plans with positive whole prices and grants", () => {
    expect(CREDIT_PACKS.map((p) => p.credits)).toEqual([500, 2000, 10000]);
    expect(PAID_PLANS.map((p) => p.id)).toEqual(["creator", "pro"]);
    for (const item of [...CREDIT_PACKS, ...PAID_PLANS]) {
      expect(Number.isInteger(item.priceCents) && item.priceCents > 0).toBe(true);
    }
    expect(TRIAL_CREDITS).toBe(100);
  });

  it("bigger packs never cost more per credit", () => {
    const perCredit = CREDIT_PACKS.map((p) => p.priceCents / p.credits);
    expect([...perCredit].sort((a, b) => b - a)).toEqual(perCredit);
  });

  it("each paid plan is stored under its own id, and the stored value finds it back", () => {
    const stored: Plan[] = PAID_PLANS.map((p) => p.id);
    expect(stored).toEqual(["creator", "pro"]);
    for (const plan of PAID_PLANS) expect(findPlan(plan.id)).toBe(plan);
    expect(findPlan("free" satisfies Plan)).toBeUndefined();
  });

  it("finds items by id only, and formats prices for people", () => {
    expect(findPack("pack-500")?.credits).toBe(500);
    expect(findPack("creator")).toBeUndefined();
    expect(findPlan("pro")?.monthlyCredits).toBeGreaterThan(findPlan("creator")!.monthlyCredits);
    expect(formatPrice(500)).toBe("$5");
    expect(formatPrice(1250)).toBe("$12.50");
  });
});
