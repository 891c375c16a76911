import type { Store } from "../types";
import {
  RATE_LIMIT_SWEEP_BATCH,
  applyRateLimitHit,
  applyRateLimitRelease,
  assertRateLimitInput,
  assertRateLimitKey,
  type RateLimitBucket,
} from "../rate-limit-window";
import { immediate, now as clock, type Db } from "./db";

export function rateLimitOps(db: Db): Pick<Store, "hitRateLimit" | "releaseRateLimit"> {
  const bucketOf = db.prepare("SELECT window_start, count, expires_at FROM rate_limits WHERE key = ?");
  const upsert = db.prepare(
    `INSERT INTO rate_limits (key, window_start, count, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET
       window_start = excluded.window_start, count = excluded.count, expires_at = excluded.expires_at`,
  );
  const setCount = db.prepare("UPDATE rate_limits SET count = ? WHERE key = ?");
  const remove = db.prepare("DELETE FROM rate_limits WHERE key = ?");
  const sweep = db.prepare(
    `DELETE FROM rate_limits WHERE key IN
       (SELECT key FROM rate_limits WHERE expires_at <= ? AND key <> ? LIMIT ${RATE_LIMIT_SWEEP_BATCH})`,
  );

  return {
    async hitRateLimit(key, window, now = clock()) {
      assertRateLimitInput(key, window, now);
      return immediate(db, () => {
        const row = bucketOf.get(key) as { window_start: number; count: number; expires_at: number } | undefined;
        const current: RateLimitBucket | null = row
          ? { windowStart: row.window_start, count: row.count, expiresAt: row.expires_at }
          : null;
        const { next, hit } = applyRateLimitHit(current, window, now);
        if (next) upsert.run(key, next.windowStart, next.count, next.expiresAt);
        sweep.run(now, key);
        return hit;
      });
    },

    async releaseRateLimit(key, now = clock()) {
      assertRateLimitKey(key);
      immediate(db, () => {
        const row = bucketOf.get(key) as { window_start: number; count: number; expires_at: number } | undefined;
        const current: RateLimitBucket | null = row
          ? { windowStart: row.window_start, count: row.count, expiresAt: row.expires_at }
          : null;
        const next = applyRateLimitRelease(current, now);
        if (next === "delete") remove.run(key);
        else if (next) setCount.run(next.count, key);
      });
    },
  };
}
