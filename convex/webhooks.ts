import { v } from "convex/values";
import { planForSubscription } from "../lib/store/subscription";
import { serverMutation } from "./lib/functions";
import { assertCredits, requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { applyLedgerEntry } from "./lib/ledger";
import { ensureUserIn, softDeleteIn, updateProfileIn, userByEmail, userByExternalId } from "./lib/users";
import { ledgerReason, subscription, webhookSource } from "./lib/validators";
import { lookupEmail } from "../lib/store/rules";

/** Records (source, eventId) and applies its effects in the same mutation, once. */
export const record = serverMutation({
  args: {
    source: webhookSource,
    eventId: v.string(),
    grant: v.optional(
      v.object({ userId: v.string(), amount: v.number(), reason: ledgerReason, idempotencyKey: v.string() }),
    ),
    subscription: v.optional(subscription),
    createUser: v.optional(v.object({ externalId: v.string(), email: v.string(), name: v.optional(v.string()) })),
    profile: v.optional(
      v.object({ externalId: v.string(), email: v.optional(v.string()), name: v.optional(v.string()) }),
    ),
    softDelete: v.optional(v.object({ externalId: v.string() })),
  },
  handler: async (ctx, args): Promise<"first" | "duplicate"> => {
    if (!args.eventId) throw storeError("invalid", "A webhook event needs an id.");
    const seen = await ctx.db
      .query("webhookEvents")
      .withIndex("by_source_eventId", (q) => q.eq("source", args.source).eq("eventId", args.eventId))
      .first();
    if (seen) return "duplicate";
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

    if (args.grant) {
      const g = args.grant;
      assertCredits(g.amount, "A grant");
      if (!g.idempotencyKey) throw storeError("invalid", "A grant needs an idempotency key.");
      const user = await requireUser(ctx, g.userId);
      await applyLedgerEntry(ctx, user._id, g.amount, g.reason, g.idempotencyKey);
    }

    if (args.subscription) {
      const sub = args.subscription;
      const user = await requireUser(ctx, sub.userId);
      const fields = {
        userId: user._id,
        stripeCustomerId: sub.stripeCustomerId,
        stripeSubscriptionId: sub.stripeSubscriptionId,
        plan: sub.plan,
        status: sub.status,
        currentPeriodEnd: sub.currentPeriodEnd,
      };
      const existing = await ctx.db
        .query("subscriptions")
        .withIndex("by_userId", (q) => q.eq("userId", user._id))
        .first();
      if (existing) await ctx.db.replace("subscriptions", existing._id, fields);
      else await ctx.db.insert("subscriptions", fields);
      await ctx.db.patch("users", user._id, { plan: planForSubscription(sub) });
    }
    return "first";
  },
});
