import { v } from "convex/values";
import { serverMutation, serverQuery } from "./lib/functions";
import { requireOwnedProject, requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { toAiRequest } from "./lib/records";
import { aiRequestKind } from "./lib/validators";

interface Totals {
  requests: number;
  tokens: number;
  credits: number;
}

export const record = serverMutation({
  args: {
    userId: v.string(),
    projectId: v.optional(v.union(v.string(), v.null())),
    kind: aiRequestKind,
    model: v.string(),
    tokens: v.number(),
    credits: v.number(),
  },
  handler: async (ctx, args) => {
    for (const [field, value] of [
      ["tokens", args.tokens],
      ["credits", args.credits],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw storeError("invalid", `${field} must be a non-negative whole number (got ${value}).`);
      }
    }
    const user = await requireUser(ctx, args.userId);
    const project = args.projectId ? await requireOwnedProject(ctx, user._id, args.projectId) : null;
    const id = await ctx.db.insert("aiRequests", {
      userId: user._id,
      projectId: project ? project._id : null,
      kind: args.kind,
      model: args.model,
      tokens: args.tokens,
      credits: args.credits,
      createdAt: Date.now(),
    });
    return toAiRequest((await ctx.db.get("aiRequests", id))!);
  },
});

export const list = serverQuery({
  args: { userId: v.string(), limit: v.number() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (!userId) return [];
    const rows = await ctx.db
      .query("aiRequests")
      .withIndex("by_userId", (q) => q.eq("userId", userId))
      .order("desc")
      .take(Math.max(0, Math.floor(args.limit)));
    return rows.map(toAiRequest);
  },
});

/** Totals over the user's whole history; the groups are arrays because model names are not valid field names in general. */
export const stats = serverQuery({
  args: { userId: v.string() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    const byKind = new Map<string, Totals>();
    const byModel = new Map<string, Totals>();
    const total: Totals = { requests: 0, tokens: 0, credits: 0 };
    if (userId) {
      for await (const r of ctx.db.query("aiRequests").withIndex("by_userId", (q) => q.eq("userId", userId))) {
        for (const [groups, key] of [
          [byKind, r.kind],
          [byModel, r.model],
        ] as const) {
          const t = groups.get(key) ?? { requests: 0, tokens: 0, credits: 0 };
          t.requests += 1;
          t.tokens += r.tokens;
          t.credits += r.credits;
          groups.set(key, t);
        }
        total.requests += 1;
        total.tokens += r.tokens;
        total.credits += r.credits;
      }
    }
    const entries = (groups: Map<string, Totals>) => [...groups].map(([key, t]) => ({ key, ...t }));
    return { ...total, byKind: entries(byKind), byModel: entries(byModel) };
  },
});
