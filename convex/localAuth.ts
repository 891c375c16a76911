import { v } from "convex/values";
import type { QueryCtx } from "./_generated/server";
import { serverMutation, serverQuery } from "./lib/functions";
import { requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { createUserWithTrial } from "./lib/ledger";
import { toUser } from "./lib/records";

/** Local accounts (credentials) and their sessions; used only when Clerk is not configured. */

async function sessionFor(ctx: QueryCtx, tokenHash: string) {
  return ctx.db
    .query("sessions")
    .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
    .first();
}

/** The user, credentials and trial grant, in one mutation. */
export const createAccount = serverMutation({
  args: { externalId: v.string(), email: v.string(), name: v.string(), passwordHash: v.string() },
  handler: async (ctx, args) => {
    if (!args.passwordHash) throw storeError("invalid", "passwordHash is required.");
    const user = await createUserWithTrial(ctx, args);
    await ctx.db.insert("credentials", { userId: user._id, passwordHash: args.passwordHash });
    return toUser(user);
  },
});

export const getCredentials = serverQuery({
  args: { email: v.string() },
  handler: async (ctx, args) => {
    const user = await ctx.db
      .query("users")
      .withIndex("by_email", (q) => q.eq("email", args.email))
      .first();
    if (!user || user.deletedAt !== undefined) return null;
    const credentials = await ctx.db
      .query("credentials")
      .withIndex("by_userId", (q) => q.eq("userId", user._id))
      .first();
    return credentials ? { userId: user._id as string, passwordHash: credentials.passwordHash } : null;
  },
});

export const createSession = serverMutation({
  args: { tokenHash: v.string(), userId: v.string(), expiresAt: v.number() },
  handler: async (ctx, args) => {
    const user = await requireUser(ctx, args.userId);
    if (await sessionFor(ctx, args.tokenHash)) throw storeError("conflict", "This session token already exists.");
    await ctx.db.insert("sessions", { tokenHash: args.tokenHash, userId: user._id, expiresAt: args.expiresAt });
    return null;
  },
});

/** A mutation, not a query: an expired session is deleted when it is looked up. */
export const getSession = serverMutation({
  args: { tokenHash: v.string() },
  handler: async (ctx, args) => {
    const session = await sessionFor(ctx, args.tokenHash);
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      await ctx.db.delete("sessions", session._id);
      return null;
    }
    const user = await ctx.db.get("users", session.userId);
    if (!user || user.deletedAt !== undefined) return null;
    return { userId: session.userId as string, expiresAt: session.expiresAt };
  },
});

export const deleteSession = serverMutation({
  args: { tokenHash: v.string() },
  handler: async (ctx, args) => {
    const session = await sessionFor(ctx, args.tokenHash);
    if (session) await ctx.db.delete("sessions", session._id);
    return null;
  },
});
