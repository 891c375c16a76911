import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { serverMutation, serverQuery } from "./lib/functions";
import { assertCredits, findOwnedProject, requireOwnedProject, requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { toRun } from "./lib/records";
import { finishedRunStatus, runKind } from "./lib/validators";

async function findOwnedRun(ctx: QueryCtx, userId: string, runId: string): Promise<Doc<"runs"> | null> {
  const id = ctx.db.normalizeId("runs", runId);
  const run = id ? await ctx.db.get("runs", id) : null;
  return run && run.userId === userId ? run : null;
}

async function requireOwnedRun(ctx: QueryCtx, userId: string, runId: string): Promise<Doc<"runs">> {
  const run = await findOwnedRun(ctx, userId, runId);
  if (!run) throw storeError("not_found", "Run not found.");
  return run;
}

export const create = serverMutation({
  args: {
    userId: v.string(),
    projectId: v.string(),
    reservationId: v.string(),
    cap: v.number(),
    estimate: v.number(),
    kind: v.optional(runKind),
    request: v.optional(v.string()),
  },
  handler: async (ctx, args) => {
    assertCredits(args.cap, "A run's cap", { allowZero: true });
    assertCredits(args.estimate, "A run's estimate", { allowZero: true });
    const user = await requireUser(ctx, args.userId);
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const reservationId = ctx.db.normalizeId("reservations", args.reservationId);
    const reservation = reservationId ? await ctx.db.get("reservations", reservationId) : null;
    if (!reservation || reservation.userId !== user._id) throw storeError("not_found", "Reservation not found.");
    const id = await ctx.db.insert("runs", {
      projectId: project._id,
      userId: user._id,
      status: "running",
      kind: args.kind ?? "generation",
      request: args.request ?? "",
      reservationId: reservation._id,
      cap: args.cap,
      estimate: args.estimate,
      error: null,
      createdAt: Date.now(),
      finishedAt: null,
      lastSeq: 0,
    });
    return toRun((await ctx.db.get("runs", id))!);
  },
});

export const get = serverQuery({
  args: { userId: v.string(), runId: v.string() },
  handler: async (ctx, { userId, runId }) => {
    const run = await findOwnedRun(ctx, userId, runId);
    return run ? toRun(run) : null;
  },
});

/** The project's newest run: by_projectId ends in _creationTime, the order runs were created in. */
export const latest = serverQuery({
  args: { userId: v.string(), projectId: v.string() },
  handler: async (ctx, { userId, projectId }) => {
    const project = await findOwnedProject(ctx, userId, projectId);
    if (!project) return null;
    const run = await ctx.db
      .query("runs")
      .withIndex("by_projectId", (q) => q.eq("projectId", project._id))
      .order("desc")
      .first();
    return run && run.userId === userId ? toRun(run) : null;
  },
});

/** The project's runs, newest first, optionally of one kind; the kind is filtered while reading, within `limit`. */
export const list = serverQuery({
  args: { userId: v.string(), projectId: v.string(), kind: v.optional(runKind), limit: v.number() },
  handler: async (ctx, { userId, projectId, kind, limit }) => {
    const project = await findOwnedProject(ctx, userId, projectId);
    if (!project) return [];
    const wanted = Math.min(100, Math.max(1, Math.floor(limit)));
    const found = [];
    for await (const run of ctx.db
      .query("runs")
      .withIndex("by_projectId", (q) => q.eq("projectId", project._id))
      .order("desc")) {
      if (run.userId !== userId || (kind && (run.kind ?? "generation") !== kind)) continue;
      found.push(toRun(run));
      if (found.length >= wanted) break;
    }
    return found;
  },
});

export const finish = serverMutation({
  args: { userId: v.string(), runId: v.string(), status: finishedRunStatus, error: v.optional(v.union(v.string(), v.null())) },
  handler: async (ctx, args) => {
    const run = await requireOwnedRun(ctx, args.userId, args.runId);
    if (run.status !== "running") throw storeError("conflict", "This run has already finished.");
    await ctx.db.patch("runs", run._id, { status: args.status, error: args.error ?? null, finishedAt: Date.now() });
    return toRun((await ctx.db.get("runs", run._id))!);
  },
});

export const appendEvent = serverMutation({
  args: { userId: v.string(), runId: v.string(), type: v.string(), data: v.string() },
  handler: async (ctx, args) => {
    const run = await requireOwnedRun(ctx, args.userId, args.runId);
    const seq = run.lastSeq + 1;
    await ctx.db.patch("runs", run._id, { lastSeq: seq });
    await ctx.db.insert("runEvents", { runId: run._id, seq, type: args.type, data: args.data, createdAt: Date.now() });
    return seq;
  },
});

export const listEvents = serverQuery({
  args: { userId: v.string(), runId: v.string(), afterSeq: v.number() },
  handler: async (ctx, args) => {
    const run = await requireOwnedRun(ctx, args.userId, args.runId);
    const events = await ctx.db
      .query("runEvents")
      .withIndex("by_runId_seq", (q) => q.eq("runId", run._id).gt("seq", args.afterSeq))
      .collect();
    return events.map((e) => ({ seq: e.seq, data: e.data }));
  },
});
