import { v } from "convex/values";
import type { Id } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { serverMutation, serverQuery } from "./lib/functions";
import { requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { toApiKeyRecord } from "./lib/records";

async function keyFor(ctx: QueryCtx, userId: Id<"users">, provider: string) {
  return ctx.db
    .query("apiKeys")
    .withIndex("by_userId_provider", (q) => q.eq("userId", userId).eq("provider", provider))
    .first();
}

export const save = serverMutation({
  args: { userId: v.string(), provider: v.string(), ciphertext: v.string(), last4: v.string() },
  handler: async (ctx, args) => {
    if (!args.provider) throw storeError("invalid", "provider is required.");
    const user = await requireUser(ctx, args.userId);
    const fields = {
      userId: user._id,
      provider: args.provider,
      ciphertext: args.ciphertext,
      last4: args.last4,
      createdAt: Date.now(),
    };
    const existing = await keyFor(ctx, user._id, args.provider);
    let id: Id<"apiKeys">;
    if (existing) await ctx.db.replace("apiKeys", (id = existing._id), fields);
    else id = await ctx.db.insert("apiKeys", fields);
    return toApiKeyRecord((await ctx.db.get("apiKeys", id))!);
  },
});

export const list = serverQuery({
  args: { userId: v.string() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (!userId) return [];
    const keys = await ctx.db
      .query("apiKeys")
      .withIndex("by_userId_provider", (q) => q.eq("userId", userId))
      .collect();
    return keys.map(toApiKeyRecord);
  },
});

export const remove = serverMutation({
  args: { userId: v.string(), provider: v.string() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    const key = userId ? await keyFor(ctx, userId, args.provider) : null;
    if (!key) return false;
    await ctx.db.delete("apiKeys", key._id);
    return true;
  },
});
