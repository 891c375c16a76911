import { v } from "convex/values";
import { serverMutation } from "./lib/functions";
import {
  RATE_LIMIT_SWEEP_BATCH,
  applyRateLimitHit,
  applyRateLimitRelease,
  assertRateLimitInput,
  assertRateLimitKey,
} from "../lib/store/rate-limit-window";
import type { RateLimitHit } from "../lib/store/types";

/** One hit on a fixed-window counter (lib/store/rate-limit-window.ts), in one mutation. */
export const hit = serverMutation({
  args: { key: v.string(), max: v.number(), windowMs: v.number(), now: v.number() },
  handler: async (ctx, args): Promise<RateLimitHit> => {
    const window = { max: args.max, windowMs: args.windowMs };
    assertRateLimitInput(args.key, window, args.now);
    const row = await ctx.db
      .query("rateLimits")
      .withIndex("by_key", (q) => q.eq("key", args.key))
      .first();
    const { next, hit } = applyRateLimitHit(row, window, args.now);
    if (next) {
      const fields = { key: args.key, ...next };
      if (row) await ctx.db.replace("rateLimits", row._id, fields);
      else await ctx.db.insert("rateLimits", fields);
    }
    const expired = await ctx.db
      .query("rateLimits")
      .withIndex("by_expiresAt", (q) => q.lte("expiresAt", args.now))
      .take(RATE_LIMIT_SWEEP_BATCH);
    for (const old of expired) if (old.key !== args.key) await ctx.db.delete("rateLimits", old._id);
    return hit;
  },
});

/** Takes back one hit counted in the key's open window (lib/store/rate-limit-window.ts), in one mutation. */
export const release = serverMutation({
  args: { key: v.string(), now: v.number() },
  handler: async (ctx, args): Promise<null> => {
    assertRateLimitKey(args.key);
    const row = await ctx.db
      .query("rateLimits")
      .withIndex("by_key", (q) => q.eq("key", args.key))
      .first();
    const next = applyRateLimitRelease(row, args.now);
    if (!row || !next) return null;
    if (next === "delete") await ctx.db.delete("rateLimits", row._id);
    else await ctx.db.patch("rateLimits", row._id, { count: next.count });
    return null;
  },
});
