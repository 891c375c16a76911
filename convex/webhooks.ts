import { v } from "convex/values";
import type { Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";
import { mergeSubscription } from "../lib/store/subscription";
import type { SubscriptionChange, SubscriptionObservation, WebhookRecordResult } from "../lib/store/types";
import { serverMutation } from "./lib/functions";
import { assertCredits, requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { applyLedgerEntry } from "./lib/ledger";
import { toSubscription } from "./lib/records";
import { ensureUserIn, softDeleteIn, updateProfileIn, userByEmail, userByExternalId } from "./lib/users";
import { ledgerReason, subscriptionObservation, webhookSource } from "./lib/validators";
import { lookupEmail } from "../lib/store/rules";

/** Records (source, eventId) and applies its effects in the same mutation, once; returns what was applied. */
export const record = serverMutation({
  args: {
    source: webhookSource,
    eventId: v.string(),
    grant: v.optional(
      v.object({ userId: v.string(), amount: v.number(), reason: ledgerReason, idempotencyKey: v.string() }),
    ),
    subscription: v.optional(subscriptionObservation),
    createUser: v.optional(v.object({ externalId: v.string(), email: v.string(), name: v.optional(v.string()) })),
    profile: v.optional(
      v.object({ externalId: v.string(), email: v.optional(v.string()), name: v.optional(v.string()) }),
    ),
    softDelete: v.optional(v.object({ externalId: v.string() })),
  },
  handler: async (ctx, args): Promise<WebhookRecordResult> => {
    if (!args.eventId) throw storeError("invalid", "A webhook event needs an id.");
    const seen = await ctx.db
      .query("webhookEvents")
      .withIndex("by_source_eventId", (q) => q.eq("source", args.source).eq("eventId", args.eventId))
      .first();
    if (seen) return { kind: "duplicate" };
    await ctx.db.insert("webhookEvents", { source: args.source, eventId: args.eventId, processedAt: Date.now() });

    if (args.createUser) {
      const input = args.createUser;
      const known = await userByExternalId(ctx, input.externalId);
      const emailHeld = await userByEmail(ctx, lookupEmail(input.email));
      if (!known && !emailHeld) await ensureUserIn(ctx, input);
    }
    if (args.profile) {
      const { externalId, ...update } = args.profile;
      await updateProfileIn(ctx, externalId, update, { emailTaken: "keep" });
    }
    if (args.softDelete) await softDeleteIn(ctx, args.softDelete.externalId);

    let granted = 0;
    if (args.grant) {
      const g = args.grant;
      assertCredits(g.amount, "A grant");
      if (!g.idempotencyKey) throw storeError("invalid", "A grant needs an idempotency key.");
      const user = await requireUser(ctx, g.userId);
      if (await applyLedgerEntry(ctx, user._id, g.amount, g.reason, g.idempotencyKey)) granted = g.amount;
    }

    let subscription: SubscriptionChange | null = null;
    if (args.subscription) {
      const user = await requireUser(ctx, args.subscription.userId);
      subscription = await applySubscriptionObservation(ctx, user._id, args.subscription);
    }
    return { kind: "first", granted, subscription };
  },
});

/** The shared subscription rule (mergeSubscription) over what this mutation reads, and its writes. */
async function applySubscriptionObservation(
  ctx: MutationCtx,
  userId: Id<"users">,
  observed: SubscriptionObservation,
): Promise<SubscriptionChange> {
  const row = await ctx.db
    .query("subscriptions")
    .withIndex("by_userId", (q) => q.eq("userId", userId))
    .first();
  const remembered = await ctx.db
    .query("endedSubscriptions")
    .withIndex("by_userId_stripeSubscriptionId", (q) =>
      q.eq("userId", userId).eq("stripeSubscriptionId", observed.stripeSubscriptionId),
    )
    .first();
  const stored = row ? { ...toSubscription(row), lastEventAt: row.lastEventAt ?? null } : null;
  const merge = mergeSubscription(stored, remembered !== null, observed);
  if (merge.rememberEnded) {
    await ctx.db.insert("endedSubscriptions", {
      userId,
      stripeSubscriptionId: observed.stripeSubscriptionId,
      recordedAt: Date.now(),
    });
  }
  if (merge.row) {
    const s = merge.row;
    const fields = {
      userId,
      stripeCustomerId: s.stripeCustomerId,
      stripeSubscriptionId: s.stripeSubscriptionId,
      plan: s.plan,
      status: s.status,
      currentPeriodEnd: s.currentPeriodEnd,
      ...(s.lastEventAt === null ? {} : { lastEventAt: s.lastEventAt }),
    };
    if (row) await ctx.db.replace("subscriptions", row._id, fields);
    else await ctx.db.insert("subscriptions", fields);
    await ctx.db.patch("users", userId, { plan: merge.change.plan });
  }
  return merge.change;
}
