import { HttpError } from "@/lib/http/errors";

/**
 * In-memory sliding-window rate limiter. Per process: behind several
 * instances each one counts on its own, which still bounds abuse per node.
 */

export interface LimitOptions {
  /** Attempts allowed within the window. */
  max: number;
  windowMs: number;
}

export interface LimitResult {
  ok: boolean;
  /** Whole seconds until the next attempt would be allowed; 0 when ok. */
  retryAfterSec: number;
  remaining: number;
}

export interface RateLimiter {
  limit(key: string, options: LimitOptions): LimitResult;
  reset(): void;
}

const SWEEP_EVERY = 1_000;

export function createRateLimiter(now: () => number = Date.now): RateLimiter {
  // key → timestamps of accepted attempts, oldest first
  const hits = new Map<string, number[]>();
  let callsSinceSweep = 0;

  function sweep(at: number) {
    for (const [key, times] of hits) {
      // Entries carry no window of their own; drop keys idle for a day.
      if (times.length === 0 || at - times[times.length - 1] > 86_400_000) hits.delete(key);
    }
  }

  return {
    limit(key, { max, windowMs }) {
      const at = now();
      if (++callsSinceSweep >= SWEEP_EVERY) {
        callsSinceSweep = 0;
        sweep(at);
      }
      const since = at - windowMs;
      const times = (hits.get(key) ?? []).filter((t) => t > since);
      if (times.length >= max) {
        hits.set(key, times);
        const retryAfterMs = times[0] + windowMs - at;
        return { ok: false, retryAfterSec: Math.max(1, Math.ceil(retryAfterMs / 1000)), remaining: 0 };
      }
      times.push(at);
      hits.set(key, times);
      return { ok: true, retryAfterSec: 0, remaining: max - times.length };
    },
    reset() {
      hits.clear();
    },
  };
}

const shared = createRateLimiter();

export function limit(key: string, options: LimitOptions): LimitResult {
  return shared.limit(key, options);
}

/** Counts an attempt and throws a 429 HttpError (with Retry-After) when over the limit. */
export function enforceLimit(key: string, options: LimitOptions, message = "Too many attempts."): void {
  const result = shared.limit(key, options);
  if (!result.ok) {
    throw new HttpError(
      429,
      "rate_limited",
      `${message} Try again in ${result.retryAfterSec} second${result.retryAfterSec === 1 ? "" : "s"}.`,
      { retryAfterSec: result.retryAfterSec },
      { "Retry-After": String(result.retryAfterSec) },
    );
  }
}

/** Tests only: forget every counter of the shared limiter. */
export function resetRateLimitsForTests(): void {
  shared.reset();
}
