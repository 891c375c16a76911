import { describe, expect, it } from "vitest";
import { applyRateLimitHit, applyRateLimitRelease, assertRateLimitInput, type RateLimitBucket } from "@/lib/store/rate-limit-window";
import { isStoreError } from "@/lib/store/types";

/** Runs hits at the given times through the window rule, as a store would, and returns their outcomes. */
function replay(times: number[], window = { max: 3, windowMs: 10_000 }) {
  let bucket: RateLimitBucket | null = null;
  return times.map((at) => {
    const { next, hit } = applyRateLimitHit(bucket, window, at);
    if (next) bucket = next;
    return hit;
  });
}

describe("fixed-window rule (lib/store/rate-limit-window)", () => {
  it("allows max hits per window, counting remaining down, then refuses with the time left", () => {
    const hits = replay([1_000, 2_000, 3_000, 4_000, 10_999]);
    expect(hits.slice(0, 3)).toEqual([
      { ok: true, remaining: 2, retryAfterMs: 0 },
      { ok: true, remaining: 1, retryAfterMs: 0 },
      { ok: true, remaining: 0, retryAfterMs: 0 },
    ]);
    expect(hits[3]).toEqual({ ok: false, remaining: 0, retryAfterMs: 7_000 });
    expect(hits[4]).toEqual({ ok: false, remaining: 0, retryAfterMs: 1 });
  });

  it("a new window opens at the first hit after the old one ended", () => {
    const hits = replay([0, 1, 2, 3, 10_000, 10_001]);
    expect(hits.map((h) => h.ok)).toEqual([true, true, true, false, true, true]);
    expect(hits[4].remaining).toBe(2);
  });

  it("refused hits are not counted, so they do not extend the window", () => {
    const window = { max: 1, windowMs: 1_000 };
    const first = applyRateLimitHit(null, window, 0);
    const refused = applyRateLimitHit(first.next, window, 500);
    expect(refused.next).toBeNull();
    expect(applyRateLimitHit(first.next, window, 1_000).hit.ok).toBe(true);
  });

  it("a clock that went backwards past the window start opens a new window", () => {
    const bucket = { windowStart: 5_000, count: 3, expiresAt: 15_000 };
    expect(applyRateLimitHit(bucket, { max: 3, windowMs: 10_000 }, 4_000).hit.ok).toBe(true);
  });

  it("a release takes one hit back from the open window, and removes a window left without hits", () => {
    const bucket = { windowStart: 1_000, count: 3, expiresAt: 11_000 };
    expect(applyRateLimitRelease(bucket, 5_000)).toEqual({ windowStart: 1_000, count: 2, expiresAt: 11_000 });
    expect(applyRateLimitRelease({ ...bucket, count: 1 }, 5_000)).toBe("delete");
    // Nothing to take back: no bucket, an ended window, a time before the window, no hits.
    expect(applyRateLimitRelease(null, 5_000)).toBeNull();
    expect(applyRateLimitRelease(bucket, 11_000)).toBeNull();
    expect(applyRateLimitRelease(bucket, 999)).toBeNull();
    expect(applyRateLimitRelease({ ...bucket, count: 0 }, 5_000)).toBeNull();
  });

  it("refuses nonsense limits and keys", () => {
    for (const [key, window] of [
      ["", { max: 1, windowMs: 1 }],
      ["k", { max: 0, windowMs: 1 }],
      ["k", { max: 1.5, windowMs: 1 }],
      ["k", { max: 1, windowMs: 0 }],
      ["x".repeat(513), { max: 1, windowMs: 1 }],
    ] as const) {
      let caught: unknown;
      try {
        assertRateLimitInput(key, window, 0);
      } catch (err) {
        caught = err;
      }
      expect(isStoreError(caught, "invalid"), `${key.slice(0, 5)} ${JSON.stringify(window)}`).toBe(true);
    }
  });
});
