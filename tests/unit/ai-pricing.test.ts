import { describe, expect, it } from "vitest";
import {
  creditsFor,
  CreditTally,
  DEFAULT_WEIGHTS,
  estimateCallCredits,
  estimateRunCredits,
  maxPlatformEstimate,
  microCreditsForAttempt,
  MODEL_WEIGHTS,
  ROLE_TOKEN_BUDGET,
  weightsFor,
} from "@/lib/ai/pricing";

describe("creditsFor", () => {
  it("is 0 for no usage", () => {
    expect(creditsFor("gpt-4o", { inputTokens: 0, outputTokens: 0 })).toBe(0);
    expect(creditsFor("unknown-model", { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });

  it("is the exact milli-credit sum rounded up to a whole credit", () => {
    // gpt-4o: 1000 milli/1K in, 4000 milli/1K out → 1 credit per 1K in, 4 per 1K out.
    expect(MODEL_WEIGHTS["gpt-4o"]).toEqual({ inputMilliPer1K: 1_000, outputMilliPer1K: 4_000 });
    expect(creditsFor("gpt-4o", { inputTokens: 1_000, outputTokens: 1_000 })).toBe(5);
    expect(creditsFor("gpt-4o", { inputTokens: 1_001, outputTokens: 1_000 })).toBe(6);
    expect(creditsFor("gpt-4o", { inputTokens: 1, outputTokens: 0 })).toBe(1);
    // gpt-4o-mini: 100 in, 400 out → 2500×100 + 1875×400 = 250_000 + 750_000 = 1_000_000 milli·tok → exactly 1.
    expect(creditsFor("gpt-4o-mini", { inputTokens: 2_500, outputTokens: 1_875 })).toBe(1);
    expect(creditsFor("gpt-4o-mini", { inputTokens: 2_501, outputTokens: 1_875 })).toBe(2);
  });

  it("prices unknown models with the default weights", () => {
    expect(weightsFor("mystery")).toEqual(DEFAULT_WEIGHTS);
    expect(weightsFor("toString")).toEqual(DEFAULT_WEIGHTS);
    const usage = { inputTokens: 12_345, outputTokens: 6_789 };
    const expected = Math.ceil((12_345 * DEFAULT_WEIGHTS.inputMilliPer1K + 6_789 * DEFAULT_WEIGHTS.outputMilliPer1K) / 1_000_000);
    expect(creditsFor("mystery", usage)).toBe(expected);
  });

  it("is exact for large counts and ignores negative or fractional garbage", () => {
    expect(creditsFor("gpt-4o", { inputTokens: 10_000_000, outputTokens: 10_000_000 })).toBe(50_000);
    expect(creditsFor("gpt-4o", { inputTokens: -5, outputTokens: Number.NaN })).toBe(0);
    expect(creditsFor("gpt-4o", { inputTokens: 999.9, outputTokens: 0 })).toBe(1);
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
    expect(6 * creditsFor("gpt-4o-mini", { inputTokens: 1_500, outputTokens: 600 })).toBe(6);
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
    expect(estimateRunCredits({ roles: [...roles], promptChars, model: "gpt-4o" })).toBe(
      creditsFor("gpt-4o", { inputTokens: input, outputTokens: output }),
    );
    expect(estimateRunCredits({ roles: [], promptChars, model: "gpt-4o" })).toBe(0);
    expect(estimateRunCredits({ roles: ["fixer", "fixer"], promptChars: 0, model: "gpt-4o" })).toBe(
      2 * creditsFor("gpt-4o", ROLE_TOKEN_BUDGET.fixer),
    );
  });

  it("estimates a call as its input plus the whole output cap", () => {
    const small = estimateCallCredits({ kind: "explain", inputChars: 300, maxOutputTokens: 1_000, model: "gpt-4o" });
    const large = estimateCallCredits({ kind: "explain", inputChars: 300_000, maxOutputTokens: 1_000, model: "gpt-4o" });
    // 100 + 400 overhead input tokens → 0.5 credit; 1000 output → 4 credits; ceil(4.5) = 5.
    expect(small).toBe(5);
    expect(large).toBe(creditsFor("gpt-4o", { inputTokens: 100_000 + 400, outputTokens: 1_000 }));
  });

  it("reserves for the dearest platform candidate and nothing for users' keys", () => {
    const estimate = (model: string) => estimateCallCredits({ kind: "chat", inputChars: 3_000, maxOutputTokens: 2_000, model });
    expect(
      maxPlatformEstimate(
        [
          { provider: "openai", model: "gpt-4o", source: "user" },
          { provider: "joxcoder", model: "joxcoder", source: "platform" },
          { provider: "anthropic", model: "claude-sonnet-4-5", source: "platform" },
        ],
        estimate,
      ),
    ).toBe(estimate("claude-sonnet-4-5"));
    expect(maxPlatformEstimate([{ provider: "openai", model: "gpt-4o", source: "user" }], estimate)).toBe(0);
  });
});
