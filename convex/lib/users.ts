import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { UserProfileUpdate } from "../../lib/store/types";
import { canonicalEmail, defaultNameFor, deletedEmailFor } from "../../lib/store/rules";
import { storeError } from "./errors";
import { createUserWithTrial } from "./ledger";

/** User changes shared by users.ts and the webhook effects (webhooks.ts). */

export async function userByExternalId(ctx: QueryCtx, externalId: string): Promise<Doc<"users"> | null> {
  return ctx.db
    .query("users")
    .withIndex("by_externalId", (q) => q.eq("externalId", externalId))
    .first();
}

export async function userByEmail(ctx: QueryCtx, email: string): Promise<Doc<"users"> | null> {
  return ctx.db
    .query("users")
    .withIndex("by_email", (q) => q.eq("email", email))
    .first();
}

/** Finds by externalId or creates with the trial grant; a taken email is a conflict. */
export async function ensureUserIn(
  ctx: MutationCtx,
  input: { externalId: string; email: string; name?: string },
): Promise<{ user: Doc<"users">; created: boolean }> {
  if (!input.externalId) throw storeError("invalid", "externalId is required.");
  const existing = await userByExternalId(ctx, input.externalId);
  if (existing) return { user: existing, created: false };
  const email = canonicalEmail(input.email);
  const name = input.name?.trim() || defaultNameFor(email);
  return { user: await createUserWithTrial(ctx, { externalId: input.externalId, email, name }), created: true };
}

/** With `emailTaken: "keep"` an email another user holds leaves the email unchanged instead of failing. */
export async function updateProfileIn(
  ctx: MutationCtx,
  externalId: string,
  update: UserProfileUpdate,
  { emailTaken = "conflict" }: { emailTaken?: "conflict" | "keep" } = {},
): Promise<Doc<"users"> | null> {
  const user = await userByExternalId(ctx, externalId);
  if (!user || user.deletedAt !== undefined) return null;
  let email = user.email;
  if (update.email !== undefined) {
    const wanted = canonicalEmail(update.email);
    const holder = await userByEmail(ctx, wanted);
    if (!holder || holder._id === user._id) email = wanted;
    else if (emailTaken === "conflict") throw storeError("conflict", "An account with this email already exists.");
  }
  const name = update.name?.trim() || user.name;
  await ctx.db.patch("users", user._id, { email, name });
  return ctx.db.get("users", user._id);
}

/** Marks the user deleted, frees their email, ends their sessions and deletes their AI endpoints. False when unknown or already deleted. */
export async function softDeleteIn(ctx: MutationCtx, externalId: string): Promise<boolean> {
  const user = await userByExternalId(ctx, externalId);
  if (!user || user.deletedAt !== undefined) return false;
  await ctx.db.patch("users", user._id, { deletedAt: Date.now(), email: deletedEmailFor(user._id) });
  const sessions = await ctx.db
    .query("sessions")
    .withIndex("by_userId", (q) => q.eq("userId", user._id))
    .collect();
  for (const session of sessions) await ctx.db.delete("sessions", session._id);
  const endpoints = await ctx.db
    .query("aiEndpoints")
    .withIndex("by_userId", (q) => q.eq("userId", user._id))
    .collect();
  for (const endpoint of endpoints) await ctx.db.delete("aiEndpoints", endpoint._id);
  return true;
}
