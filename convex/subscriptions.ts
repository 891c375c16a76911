import { v } from "convex/values";
import { serverQuery } from "./lib/functions";
import { toSubscription } from "./lib/records";

export const get = serverQuery({
  args: { userId: v.string() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (!userId) return null;
    const sub = await ctx.db
      .query("subscriptions")
      .withIndex("by_userId", (q) => q.eq("userId", userId))
      .first();
    return sub ? toSubscription(sub) : null;
  },
});
