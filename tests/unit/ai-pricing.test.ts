import { describe, expect, it } from "vitest";
import {
  creditsFor,
  CreditTally,
  estimateCallCredits,
  estimateRunCredits,
  maxPlatformEstimate,
  microCreditsForAttempt,
  ROLE_TOKEN_BUDGET,
  weightsFor,
  type PricedModel,
} from "@/lib/ai/pricing";

// Prices from tests/fixtures/ai-models.json (vitest.config.ts points AI_MODELS_FILE at it).
const gpt4o = { provider: "openai", model: "gpt-4o" } as const;
const gpt4oMini = { provider: "openai", model: "gpt-4o-mini" } as const;
const FALLBACK = { inputMilliPer1K: 500, outputMilliPer1K: 2_000 };

describe("creditsFor", () => {
  it("is 0 for no usage", () => {
    expect(creditsFor(gpt4o, { inputTokens: 0, outputTokens: 0 })).toBe(0);
    expect(creditsFor({ provider: "openai", model: "unknown-model" }, { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });

  it("is the exact milli-credit sum rounded up to a whole credit", () => {
    // gpt-4o: 1000 milli/1K in, 4000 milli/1K out → 1 credit per 1K in, 4 per 1K out.
    expect(weightsFor(gpt4o)).toEqual({ inputMilliPer1K: 1_000, outputMilliPer1K: 4_000 });
    expect(creditsFor(gpt4o, { inputTokens: 1_000, outputTokens: 1_000 })).toBe(5);
    expect(creditsFor(gpt4o, { inputTokens: 1_001, outputTokens: 1_000 })).toBe(6);
    expect(creditsFor(gpt4o, { inputTokens: 1, outputTokens: 0 })).toBe(1);
    // gpt-4o-mini: 100 in, 400 out → 2500×100 + 1875×400 = 250_000 + 750_000 = 1_000_000 milli·tok → exactly 1.
    expect(creditsFor(gpt4oMini, { inputTokens: 2_500, outputTokens: 1_875 })).toBe(1);
    expect(creditsFor(gpt4oMini, { inputTokens: 2_501, outputTokens: 1_875 })).toBe(2);
  });

  it("prices a model without a price by its provider's price, else the catalog's fallback", () => {
    const mystery = { provider: "openai", model: "mystery" } as const;
    expect(weightsFor(mystery)).toEqual(FALLBACK);
    expect(weightsFor({ provider: "openai", model: "toString" })).toEqual(FALLBACK);
    expect(weightsFor({ provider: "mistral", model: "devstral-test" })).toEqual(FALLBACK);
    const usage = { inputTokens: 12_345, outputTokens: 6_789 };
    const expected = Math.ceil((12_345 * FALLBACK.inputMilliPer1K + 6_789 * FALLBACK.outputMilliPer1K) / 1_000_000);
    expect(creditsFor(mystery, usage)).toBe(expected);
    // JoxCoder's price follows the provider whatever model name the operator deploys.
    expect(weightsFor({ provider: "joxcoder", model: "joxcoder-33b-v1" })).toEqual({ inputMilliPer1K: 500, outputMilliPer1K: 2_000 });
    expect(weightsFor({ provider: "ollama", model: "any-local-model" })).toEqual({ inputMilliPer1K: 50, outputMilliPer1K: 100 });
  });

  it("is exact for large counts and ignores negative or fractional garbage", () => {
    expect(creditsFor(gpt4o, { inputTokens: 10_000_000, outputTokens: 10_000_000 })).toBe(50_000);
    expect(creditsFor(gpt4o, { inputTokens: -5, outputTokens: Number.NaN })).toBe(0);
    expect(creditsFor(gpt4o, { inputTokens: 999.9, outputTokens: 0 })).toBe(1);
  });

  it("charges nothing for attempts served by the user's own key", () => {
    const usage = { inputTokens: 5_000, outputTokens: 5_000 };
    expect(microCreditsForAttempt({ provider: "openai", model: "gpt-4o", source: "user", ok: true, usage })).toBe(0);
    expect(microCreditsForAttempt({ provider: "openai", model: "gpt-4o", source: "platform", ok: true, usage })).toBe(25_000_000);
    expect(microCreditsForAttempt({ provider: "openai", model: "gpt-4o", ok: false, usage })).toBe(25_000_000);
  });
});

describe("CreditTally", () => {
  const attempt = (inputTokens: number, outputTokens: number) =>
    ({ provider: "openai", model: "gpt-4o-mini", source: "platform", ok: true, usage: { inputTokens, outputTokens } }) as const;

  it("charges a run ceil(exact total) once, not a ceiling per request", () => {
    // gpt-4o-mini: 100 µcredits per input token, 400 per output token. Six requests of 0.39 credits each: 2.34 credits.
    const tally = new CreditTally();
    const charges = Array.from({ length: 6 }, () => tally.add(attempt(1_500, 600)));
    expect(tally.exactCredits).toBeCloseTo(2.34, 10);
    expect(charges.reduce((a, b) => a + b, 0)).toBe(3);
    // Per-request rounding would have charged 6.
    expect(6 * creditsFor(gpt4oMini, { inputTokens: 1_500, outputTokens: 600 })).toBe(6);
    // Whole credits are charged as the total reaches them: 0.39 → 1, 0.78 → 0 more, 1.17 → 1 more, 1.56, 1.95, 2.34 → 1 more.
    expect(charges).toEqual([1, 0, 1, 0, 0, 1]);
  });

  it("adds nothing for attempts with no usage or on the user's own key", () => {
    const tally = new CreditTally();
    expect(tally.add(attempt(0, 0))).toBe(0);
    expect(tally.add({ ...attempt(5_000, 5_000), source: "user" })).toBe(0);
    expect(tally.exactCredits).toBe(0);
    expect(tally.add(attempt(1, 0))).toBe(1);
  });
});

describe("estimates", () => {
  it("estimates a run from the per-role budget plus the prompt read by every step", () => {
    const promptChars = 3_000; // 1,000 tokens at 3 chars/token
    const roles = ["architect", "backend", "frontend"] as const;
    const input = roles.reduce((n, r) => n + ROLE_TOKEN_BUDGET[r].inputTokens + 1_000, 0);
    const output = roles.reduce((n, r) => n + ROLE_TOKEN_BUDGET[r].outputTokens, 0);
    expect(estimateRunCredits({ roles: [...roles], promptChars, model: gpt4o })).toBe(
      creditsFor(gpt4o, { inputTokens: input, outputTokens: output }),
    );
    expect(estimateRunCredits({ roles: [], promptChars, model: gpt4o })).toBe(0);
    expect(estimateRunCredits({ roles: ["fixer", "fixer"], promptChars: 0, model: gpt4o })).toBe(
      2 * creditsFor(gpt4o, ROLE_TOKEN_BUDGET.fixer),
    );
  });

  it("estimates a call as its input plus the whole output cap", () => {
    const small = estimateCallCredits({ kind: "explain", inputChars: 300, maxOutputTokens: 1_000, model: gpt4o });
    const large = estimateCallCredits({ kind: "explain", inputChars: 300_000, maxOutputTokens: 1_000, model: gpt4o });
    // 100 + 400 overhead input tokens → 0.5 credit; 1000 output → 4 credits; ceil(4.5) = 5.
    expect(small).toBe(5);
    expect(large).toBe(creditsFor(gpt4o, { inputTokens: 100_000 + 400, outputTokens: 1_000 }));
  });

  it("reserves for the dearest platform candidate and nothing for users' keys", () => {
    const estimate = (model: PricedModel) => estimateCallCredits({ kind: "chat", inputChars: 3_000, maxOutputTokens: 2_000, model });
    expect(
      maxPlatformEstimate(
        [
          { provider: "openai", model: "gpt-4o", source: "user" },
          { provider: "joxcoder", model: "joxcoder", source: "platform" },
          { provider: "anthropic", model: "claude-sonnet-4-5", source: "platform" },
        ],
        estimate,
      ),
    ).toBe(estimate({ provider: "anthropic", model: "claude-sonnet-4-5" }));
    expect(maxPlatformEstimate([{ provider: "openai", model: "gpt-4o", source: "user" }], estimate)).toBe(0);
  });
});
