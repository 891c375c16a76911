import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { serverMutation, serverQuery } from "./lib/functions";
import { findOwnedProject, requireOwnedProject } from "./lib/access";
import { storeError } from "./lib/errors";
import { toGenerationStep } from "./lib/records";
import { finishedGenerationStatus, generationRole } from "./lib/validators";

async function requireOwnedStep(ctx: QueryCtx, userId: string, stepId: string): Promise<Doc<"generations">> {
  const id = ctx.db.normalizeId("generations", stepId);
  const step = id ? await ctx.db.get("generations", id) : null;
  if (!step || !(await findOwnedProject(ctx, userId, step.projectId))) {
    throw storeError("not_found", "Generation step not found.");
  }
  return step;
}

export const startStep = serverMutation({
  args: {
    userId: v.string(),
    projectId: v.string(),
    runId: v.string(),
    role: generationRole,
    model: v.optional(v.string()),
    provider: v.optional(v.string()),
  },
  handler: async (ctx, args) => {
    if (!args.runId) throw storeError("invalid", "A generation step needs a run id.");
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const id = await ctx.db.insert("generations", {
      projectId: project._id,
      runId: args.runId,
      role: args.role,
      status: "running",
      output: "",
      model: args.model ?? "",
      provider: args.provider ?? "",
      inputTokens: 0,
      outputTokens: 0,
      credits: 0,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
    });
    return toGenerationStep((await ctx.db.get("generations", id))!);
  },
});

export const finishStep = serverMutation({
  args: {
    userId: v.string(),
    stepId: v.string(),
    status: finishedGenerationStatus,
    output: v.optional(v.string()),
    model: v.optional(v.string()),
    provider: v.optional(v.string()),
    inputTokens: v.optional(v.number()),
    outputTokens: v.optional(v.number()),
    credits: v.optional(v.number()),
    error: v.optional(v.union(v.string(), v.null())),
  },
  handler: async (ctx, { userId, stepId, ...input }) => {
    for (const [field, value] of [
      ["inputTokens", input.inputTokens],
      ["outputTokens", input.outputTokens],
      ["credits", input.credits],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        throw storeError("invalid", `${field} must be a non-negative whole number (got ${value}).`);
      }
    }
    const step = await requireOwnedStep(ctx, userId, stepId);
    if (step.status !== "running") throw storeError("conflict", "This generation step has already finished.");
    await ctx.db.patch("generations", step._id, {
      status: input.status,
      output: input.output ?? step.output,
      model: input.model ?? step.model,
      provider: input.provider ?? step.provider,
      inputTokens: input.inputTokens ?? step.inputTokens,
      outputTokens: input.outputTokens ?? step.outputTokens,
      credits: input.credits ?? step.credits,
      error: input.error === undefined ? step.error : input.error,
      finishedAt: Date.now(),
    });
    return toGenerationStep((await ctx.db.get("generations", step._id))!);
  },
});

export const listSteps = serverQuery({
  args: { userId: v.string(), runId: v.string() },
  handler: async (ctx, args) => {
    const steps = await ctx.db
      .query("generations")
      .withIndex("by_runId", (q) => q.eq("runId", args.runId))
      .collect();
    const owned = [];
    for (const step of steps) {
      if (await findOwnedProject(ctx, args.userId, step.projectId)) owned.push(toGenerationStep(step));
    }
    return owned;
  },
});
