import { clientAddressKey } from "@/lib/http/client-ip";
import { HttpError } from "@/lib/http/errors";
import { getStore } from "@/lib/store";
import type { RateLimitRule } from "./table";

export { RATE_LIMITS, type RateLimitRule } from "./table";

/**
 * Rate limits counted in the store (Store.hitRateLimit), so every app
 * instance sharing the store shares the counters. Fixed windows: see
 * lib/store/rate-limit-window.ts.
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

// Tests reset the counters by moving to a fresh key namespace: synchronous,
// and it needs no store round trip. Production always stays in namespace 0.
let namespace = 0;
const storeKey = (key: string) => (namespace === 0 ? key : `t${namespace}:${key}`);

/** Counts one attempt on `key`. */
export async function limit(key: string, options: LimitOptions): Promise<LimitResult> {
  const store = await getStore();
  const hit = await store.hitRateLimit(storeKey(key), options);
  return {
    ok: hit.ok,
    remaining: hit.remaining,
    retryAfterSec: hit.ok ? 0 : Math.max(1, Math.ceil(hit.retryAfterMs / 1000)),
  };
}

function tooMany(message: string, retryAfterSec: number): HttpError {
  return new HttpError(
    429,
    "rate_limited",
    `${message} Try again in ${retryAfterSec} second${retryAfterSec === 1 ? "" : "s"}.`,
    { retryAfterSec },
    { "Retry-After": String(retryAfterSec) },
  );
}

/** Counts an attempt and throws a 429 HttpError (with Retry-After) when over the limit. */
export async function enforceLimit(key: string, options: LimitOptions, message = "Too many attempts."): Promise<void> {
  const result = await limit(key, options);
  if (!result.ok) throw tooMany(message, result.retryAfterSec);
}

/** Counts an attempt of `userId` under a per-user rule of the table (`<scope>:<userId>`); 429 when over. */
export async function enforceUserLimit(rule: RateLimitRule, userId: string): Promise<void> {
  await enforceLimit(`${rule.scope}:${userId}`, rule, rule.message);
}

/**
 * The per-client-address counterpart of a per-user rule (`<scope>:ip:<address>`, or
 * `<scope>:<subject>:ip:<address>`; IPv6 by /64), so many accounts behind one address cannot
 * multiply the per-user allowance. Skipped when the client's address is unknown
 * (lib/http/client-ip.ts): every such caller would share one counter, and one busy caller — or an
 * attacker sending a garbage X-Forwarded-For — would lock out everyone.
 */
export async function enforceIpLimit(request: Request, rule: RateLimitRule, subject?: string): Promise<void> {
  const address = clientAddressKey(request);
  if (address === undefined) return;
  await enforceLimit(`${rule.scope}:${subject ? `${subject}:` : ""}ip:${address}`, rule, rule.message);
}

/** Takes back one attempt counted on `key` in its current window (Store.releaseRateLimit). */
export async function releaseLimit(key: string): Promise<void> {
  const store = await getStore();
  await store.releaseRateLimit(storeKey(key));
}

export interface LimitEntry {
  key: string;
  options: LimitOptions;
  /** The 429's message when this limit is the one that refuses. */
  message: string;
}

/** Attempts counted by `reserveLimits`, until the caller knows whether they count. */
export interface Reservation {
  /** Gives every counted attempt back: the attempt turned out not to count (e.g. it succeeded). */
  release(): Promise<void>;
}

/**
 * Counts one attempt on every entry at once, before the work it limits, so attempts in flight
 * count too (many parallel requests cannot all pass a check made before any is recorded). When
 * any entry is full, gives the others back and throws the 429 of the one with the longest wait.
 * Otherwise returns a reservation the caller releases when the attempt should not count after
 * all: "count only failures" without a window in which failures go unseen.
 */
export async function reserveLimits(entries: LimitEntry[], fallbackMessage = "Too many attempts."): Promise<Reservation> {
  const results = await Promise.all(entries.map((entry) => limit(entry.key, entry.options)));
  const counted = entries.filter((_, i) => results[i].ok);
  const release = async () => {
    await Promise.all(counted.map((entry) => releaseLimit(entry.key)));
  };
  const refused = results
    .map((result, i) => ({ result, entry: entries[i] }))
    .filter(({ result }) => !result.ok)
    .sort((a, b) => b.result.retryAfterSec - a.result.retryAfterSec)[0];
  if (refused) {
    await release();
    throw tooMany(refused.entry.message || fallbackMessage, refused.result.retryAfterSec);
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await release();
    },
  };
}

/** Tests only: start every counter from zero (the old ones expire in the store). */
export function resetRateLimitsForTests(): void {
  namespace += 1;
}
