import { v } from "convex/values";
import { serverMutation, serverQuery } from "./lib/functions";
import { findUser, requireUser } from "./lib/access";
import { createUserWithTrial } from "./lib/ledger";
import { toUser } from "./lib/records";
import { softDeleteIn, updateProfileIn } from "./lib/users";
import { plan } from "./lib/validators";

export const ensure = serverMutation({
  args: { externalId: v.string(), email: v.string(), name: v.string() },
  handler: async (ctx, args) => {
    const existing = await ctx.db
      .query("users")
      .withIndex("by_externalId", (q) => q.eq("externalId", args.externalId))
      .first();
    if (existing) return { user: toUser(existing), created: false };
    return { user: toUser(await createUserWithTrial(ctx, args)), created: true };
  },
});

export const get = serverQuery({
  args: { userId: v.string() },
  handler: async (ctx, { userId }) => {
    const user = await findUser(ctx, userId);
    return user ? toUser(user) : null;
  },
});

export const getByExternalId = serverQuery({
  args: { externalId: v.string() },
  handler: async (ctx, { externalId }) => {
    const user = await ctx.db
      .query("users")
      .withIndex("by_externalId", (q) => q.eq("externalId", externalId))
      .first();
    return user ? toUser(user) : null;
  },
});

export const getByEmail = serverQuery({
  args: { email: v.string() },
  handler: async (ctx, { email }) => {
    const user = await ctx.db
      .query("users")
      .withIndex("by_email", (q) => q.eq("email", email))
      .first();
    return user ? toUser(user) : null;
  },
});

export const setPlan = serverMutation({
  args: { userId: v.string(), plan },
  handler: async (ctx, args) => {
    const user = await requireUser(ctx, args.userId);
    await ctx.db.patch("users", user._id, { plan: args.plan });
    return null;
  },
});

export const updateProfile = serverMutation({
  args: { externalId: v.string(), email: v.optional(v.string()), name: v.optional(v.string()) },
  handler: async (ctx, { externalId, ...update }) => {
    const user = await updateProfileIn(ctx, externalId, update);
    return user ? toUser(user) : null;
  },
});

export const softDelete = serverMutation({
  args: { externalId: v.string() },
  handler: async (ctx, { externalId }) => softDeleteIn(ctx, externalId),
});
