import { StoreError, type RateLimitHit, type RateLimitWindow } from "./types";

/**
 * The fixed-window rule both store adapters apply inside their transaction.
 * Runtime-neutral (the Convex functions import it).
 *
 * A window opens at a key's first hit and lasts `windowMs`; up to `max` hits
 * are counted in it, further hits are refused (and not counted) until it
 * ends. Fixed rather than sliding: one small row per key, at the price of
 * allowing up to 2 × max hits across a window boundary.
 */

export interface RateLimitBucket {
  windowStart: number;
  count: number;
  /** windowStart + windowMs: when the row may be deleted. */
  expiresAt: number;
}

/** How many expired buckets one hit deletes, so cleanup stays cheap and bounded. */
export const RATE_LIMIT_SWEEP_BATCH = 20;
export const MAX_RATE_LIMIT_KEY_LENGTH = 512;

export function assertRateLimitKey(key: string): void {
  if (!key || key.length > MAX_RATE_LIMIT_KEY_LENGTH) {
    throw new StoreError("invalid", `A rate-limit key must have 1 to ${MAX_RATE_LIMIT_KEY_LENGTH} characters.`);
  }
}

export function assertRateLimitInput(key: string, window: RateLimitWindow, now: number): void {
  assertRateLimitKey(key);
  if (!Number.isSafeInteger(window.max) || window.max < 1) {
    throw new StoreError("invalid", "A rate limit's max must be a positive whole number.");
  }
  if (!Number.isSafeInteger(window.windowMs) || window.windowMs < 1) {
    throw new StoreError("invalid", "A rate limit's window must be a positive whole number of milliseconds.");
  }
  if (!Number.isFinite(now)) throw new StoreError("invalid", "now must be a time in epoch milliseconds.");
}

/** The bucket after one hit at `now` (null: leave the stored bucket as it is) and the hit's outcome. */
export function applyRateLimitHit(
  current: RateLimitBucket | null,
  { max, windowMs }: RateLimitWindow,
  now: number,
): { next: RateLimitBucket | null; hit: RateLimitHit } {
  if (!current || now >= current.windowStart + windowMs || now < current.windowStart) {
    // A new window (also when the clock went backwards past the stored start).
    return {
      next: { windowStart: now, count: 1, expiresAt: now + windowMs },
      hit: { ok: true, remaining: max - 1, retryAfterMs: 0 },
    };
  }
  const expiresAt = current.windowStart + windowMs;
  if (current.count >= max) {
    return { next: null, hit: { ok: false, remaining: 0, retryAfterMs: expiresAt - now } };
  }
  const count = current.count + 1;
  return {
    next: { windowStart: current.windowStart, count, expiresAt },
    hit: { ok: true, remaining: max - count, retryAfterMs: 0 },
  };
}

/**
 * The bucket after taking back one hit at `now`: null to leave the stored bucket as it is (no
 * bucket, its window is over — or has not begun, by a clock that went backwards — or it holds no
 * hits), "delete" when that was its only hit (a window with no hits is no window: the next hit
 * opens a new one), else the bucket with one hit fewer.
 */
export function applyRateLimitRelease(current: RateLimitBucket | null, now: number): RateLimitBucket | "delete" | null {
  if (!current || now >= current.expiresAt || now < current.windowStart || current.count <= 0) return null;
  if (current.count === 1) return "delete";
  return { ...current, count: current.count - 1 };
}
