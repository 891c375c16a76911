import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { serverMutation, serverQuery } from "./lib/functions";
import { requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import type { AiEndpointRecord } from "../lib/store/types";

/** Users' own OpenAI-compatible endpoints (Store.listAiEndpoints and the rest); the key only as ciphertext. */

function toAiEndpointRecord(d: Doc<"aiEndpoints">): AiEndpointRecord {
  return {
    id: d._id,
    userId: d.userId,
    name: d.name,
    baseUrl: d.baseUrl,
    ciphertext: d.ciphertext,
    last4: d.last4,
    models: d.models,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** The endpoint if `userId` owns it; someone else's, or an id that is not an endpoint's, is null. */
async function findOwned(ctx: QueryCtx, userId: string, endpointId: string): Promise<Doc<"aiEndpoints"> | null> {
  const id = ctx.db.normalizeId("aiEndpoints", endpointId);
  const endpoint = id ? await ctx.db.get("aiEndpoints", id) : null;
  return endpoint && endpoint.userId === userId ? endpoint : null;
}

export const list = serverQuery({
  args: { userId: v.string() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (!userId) return [];
    // by_userId keeps each user's rows in creation order: oldest first.
    const endpoints = await ctx.db
      .query("aiEndpoints")
      .withIndex("by_userId", (q) => q.eq("userId", userId))
      .collect();
    return endpoints.map(toAiEndpointRecord);
  },
});

export const get = serverQuery({
  args: { userId: v.string(), endpointId: v.string() },
  handler: async (ctx, args) => {
    const endpoint = await findOwned(ctx, args.userId, args.endpointId);
    return endpoint ? toAiEndpointRecord(endpoint) : null;
  },
});

export const create = serverMutation({
  args: {
    userId: v.string(),
    name: v.string(),
    baseUrl: v.string(),
    ciphertext: v.union(v.string(), v.null()),
    last4: v.union(v.string(), v.null()),
    models: v.array(v.string()),
  },
  handler: async (ctx, args) => {
    const user = await requireUser(ctx, args.userId);
    if (user.deletedAt !== undefined) throw storeError("not_found", "User not found.");
    const at = Date.now();
    const id = await ctx.db.insert("aiEndpoints", {
      userId: user._id,
      name: args.name,
      baseUrl: args.baseUrl,
      ciphertext: args.ciphertext,
      last4: args.last4,
      models: args.models,
      createdAt: at,
      updatedAt: at,
    });
    return toAiEndpointRecord((await ctx.db.get("aiEndpoints", id))!);
  },
});

export const update = serverMutation({
  args: {
    userId: v.string(),
    endpointId: v.string(),
    patch: v.object({ name: v.optional(v.string()), models: v.optional(v.array(v.string())) }),
  },
  handler: async (ctx, { userId, endpointId, patch }) => {
    const current = await findOwned(ctx, userId, endpointId);
    if (!current) throw storeError("not_found", "AI endpoint not found.");
    await ctx.db.patch("aiEndpoints", current._id, {
      name: patch.name ?? current.name,
      models: patch.models ?? current.models,
      updatedAt: Date.now(),
    });
    return toAiEndpointRecord((await ctx.db.get("aiEndpoints", current._id))!);
  },
});

export const remove = serverMutation({
  args: { userId: v.string(), endpointId: v.string() },
  handler: async (ctx, args) => {
    const endpoint = await findOwned(ctx, args.userId, args.endpointId);
    if (!endpoint) return false;
    await ctx.db.delete("aiEndpoints", endpoint._id);
    return true;
  },
});
