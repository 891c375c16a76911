import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { TRIAL_CREDITS, type LedgerReason } from "../../lib/store/types";
import { storeError } from "./errors";

/**
 * Writes one ledger entry and moves the cached balance in the same mutation.
 * Returns false (and writes nothing) when the idempotency key was already used.
 */
export async function applyLedgerEntry(
  ctx: MutationCtx,
  userId: Id<"users">,
  delta: number,
  reason: LedgerReason,
  idempotencyKey: string,
): Promise<boolean> {
  const used = await ctx.db
    .query("ledger")
    .withIndex("by_idempotencyKey", (q) => q.eq("idempotencyKey", idempotencyKey))
    .first();
  if (used) return false;
  const user = await ctx.db.get("users", userId);
  if (!user) throw storeError("not_found", "User not found.");
  const balance = user.tokenBalance + delta;
  if (balance < 0) throw storeError("conflict", "The balance cannot go below 0.");
  await ctx.db.insert("ledger", { userId, delta, reason, idempotencyKey, createdAt: Date.now() });
  await ctx.db.patch("users", userId, { tokenBalance: balance });
  return true;
}

export async function balanceOf(ctx: MutationCtx, userId: Id<"users">): Promise<number> {
  const user = await ctx.db.get("users", userId);
  if (!user) throw storeError("not_found", "User not found.");
  return user.tokenBalance;
}

/** Creates a user with the trial grant; a taken email is a conflict. */
export async function createUserWithTrial(
  ctx: MutationCtx,
  input: { externalId: string; email: string; name: string },
): Promise<Doc<"users">> {
  const taken = await ctx.db
    .query("users")
    .withIndex("by_email", (q) => q.eq("email", input.email))
    .first();
  if (taken) throw storeError("conflict", "An account with this email already exists.");
  const userId = await ctx.db.insert("users", {
    externalId: input.externalId,
    email: input.email,
    name: input.name,
    plan: "free",
    tokenBalance: 0,
    createdAt: Date.now(),
  });
  await applyLedgerEntry(ctx, userId, TRIAL_CREDITS, "trial", `trial:${userId}`);
  return (await ctx.db.get("users", userId))!;
}
