import { describe, expect, it } from "vitest";
import { createRateLimiter, enforceLimit, limit, resetRateLimitsForTests } from "@/lib/rate-limit";
import { HttpError } from "@/lib/http/errors";

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("sliding-window rate limiter", () => {
  it("allows max attempts in the window, then refuses with the wait until the oldest expires", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock.now);
    const opts = { max: 3, windowMs: 60_000 };

    expect(limiter.limit("k", opts)).toEqual({ ok: true, retryAfterSec: 0, remaining: 2 });
    clock.advance(10_000);
    expect(limiter.limit("k", opts).remaining).toBe(1);
    clock.advance(10_000);
    expect(limiter.limit("k", opts).remaining).toBe(0);

    const refused = limiter.limit("k", opts);
    expect(refused.ok).toBe(false);
    // The first attempt (20 s ago) leaves the window in 40 s.
    expect(refused.retryAfterSec).toBe(40);
  });

  it("slides: once the oldest attempt ages out one more is allowed", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock.now);
    const opts = { max: 2, windowMs: 1_000 };
    limiter.limit("k", opts);
    clock.advance(600);
    limiter.limit("k", opts);
    expect(limiter.limit("k", opts).ok).toBe(false);
    clock.advance(401); // first attempt is now older than the window
    expect(limiter.limit("k", opts).ok).toBe(true);
    expect(limiter.limit("k", opts).ok).toBe(false);
  });

  it("refused attempts do not extend the wait", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock.now);
    const opts = { max: 1, windowMs: 10_000 };
    limiter.limit("k", opts);
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      limiter.limit("k", opts);
    }
    clock.advance(5_001);
    expect(limiter.limit("k", opts).ok).toBe(true);
  });

  it("keeps keys independent and rounds Retry-After up to at least one second", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(clock.now);
    const opts = { max: 1, windowMs: 1_500 };
    expect(limiter.limit("a", opts).ok).toBe(true);
    expect(limiter.limit("b", opts).ok).toBe(true);
    clock.advance(1_499);
    expect(limiter.limit("a", opts)).toMatchObject({ ok: false, retryAfterSec: 1 });
  });

  it("reset forgets every counter", () => {
    const limiter = createRateLimiter(fakeClock().now);
    const opts = { max: 1, windowMs: 60_000 };
    limiter.limit("k", opts);
    expect(limiter.limit("k", opts).ok).toBe(false);
    limiter.reset();
    expect(limiter.limit("k", opts).ok).toBe(true);
  });

  it("enforceLimit throws a 429 HttpError carrying Retry-After", () => {
    resetRateLimitsForTests();
    const opts = { max: 1, windowMs: 60_000 };
    enforceLimit("unit:enforce", opts);
    let thrown: unknown;
    try {
      enforceLimit("unit:enforce", opts, "Slow down.");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    const err = thrown as HttpError;
    expect(err.status).toBe(429);
    expect(err.code).toBe("rate_limited");
    expect(err.message).toMatch(/^Slow down\. Try again in \d+ seconds?\.$/);
    expect(Number(err.headers["Retry-After"])).toBeGreaterThanOrEqual(1);
    expect(limit("unit:enforce", opts).ok).toBe(false);
  });
});
