import { v } from "convex/values";
import { serverMutation, serverQuery } from "./lib/functions";
import { findUser, requireOwnedProject } from "./lib/access";
import { storeError } from "./lib/errors";
import { toDeployment } from "./lib/records";
import { deploymentProvider, deploymentStatus } from "./lib/validators";

export const create = serverMutation({
  args: { userId: v.string(), projectId: v.string(), provider: deploymentProvider },
  handler: async (ctx, args) => {
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const at = Date.now();
    const id = await ctx.db.insert("deployments", {
      projectId: project._id,
      userId: project.userId,
      provider: args.provider,
      status: "pending",
      url: null,
      providerId: null,
      logs: "",
      createdAt: at,
      updatedAt: at,
    });
    return toDeployment((await ctx.db.get("deployments", id))!);
  },
});

export const update = serverMutation({
  args: {
    userId: v.string(),
    deploymentId: v.string(),
    patch: v.object({
      status: v.optional(deploymentStatus),
      url: v.optional(v.union(v.string(), v.null())),
      providerId: v.optional(v.union(v.string(), v.null())),
      logs: v.optional(v.string()),
    }),
  },
  handler: async (ctx, { userId, deploymentId, patch }) => {
    const id = ctx.db.normalizeId("deployments", deploymentId);
    const deployment = id ? await ctx.db.get("deployments", id) : null;
    // The owner's, also once its project is deleted (a build in flight is followed to its end).
    const owner = deployment && deployment.userId === userId ? await ctx.db.get("users", deployment.userId) : null;
    if (!deployment || !owner || owner.deletedAt !== undefined) {
      throw storeError("not_found", "Deployment not found.");
    }
    await ctx.db.patch("deployments", deployment._id, {
      status: patch.status ?? deployment.status,
      url: patch.url === undefined ? deployment.url : patch.url,
      providerId: patch.providerId === undefined ? deployment.providerId : patch.providerId,
      logs: patch.logs ?? deployment.logs,
      updatedAt: Date.now(),
    });
    return toDeployment((await ctx.db.get("deployments", deployment._id))!);
  },
});

export const list = serverQuery({
  args: { userId: v.string(), projectId: v.string() },
  handler: async (ctx, args) => {
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const rows = await ctx.db
      .query("deployments")
      .withIndex("by_projectId", (q) => q.eq("projectId", project._id))
      .order("desc")
      .collect();
    return rows.map(toDeployment);
  },
});

/**
 * One page of the user's deployments, newest first, deleted projects' included, each with its
 * project's name (a deleted project's is kept on the deployment). Nothing for a deleted user.
 */
export const listForUser = serverQuery({
  args: { userId: v.string(), cursor: v.union(v.string(), v.null()), numItems: v.number() },
  handler: async (ctx, { userId, cursor, numItems }) => {
    const user = await findUser(ctx, userId);
    if (!user || user.deletedAt !== undefined) return { page: [], isDone: true, continueCursor: "" };
    const result = await ctx.db
      .query("deployments")
      .withIndex("by_userId", (q) => q.eq("userId", user._id))
      .order("desc")
      .paginate({ cursor, numItems: Math.min(100, Math.max(1, Math.floor(numItems))) });
    const names = new Map<string, string>();
    const page = [];
    for (const d of result.page) {
      let name = d.projectName ?? "";
      if (d.projectId) {
        if (!names.has(d.projectId)) names.set(d.projectId, (await ctx.db.get("projects", d.projectId))?.name ?? "");
        name = names.get(d.projectId)!;
      }
      page.push({ ...toDeployment(d), projectName: name });
    }
    return { page, isDone: result.isDone, continueCursor: result.continueCursor };
  },
});
