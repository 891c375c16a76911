import { v } from "convex/values";
import { serverMutation, serverQuery } from "./lib/functions";
import { findOwnedProject, requireOwnedProject } from "./lib/access";
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
    if (!deployment || !(await findOwnedProject(ctx, userId, deployment.projectId))) {
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
