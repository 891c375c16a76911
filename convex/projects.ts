import { v } from "convex/values";
import type { Id } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import { serverMutation, serverQuery } from "./lib/functions";
import { findOwnedProject, requireOwnedProject, requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { toProject } from "./lib/records";
import { projectStatus } from "./lib/validators";
import { projectName } from "../lib/store/rules";


async function assertNameFree(ctx: QueryCtx, userId: Id<"users">, name: string): Promise<void> {
  const taken = await ctx.db
    .query("projects")
    .withIndex("by_userId_name", (q) => q.eq("userId", userId).eq("name", name))
    .first();
  if (taken) throw storeError("conflict", `You already have a project named "${name}".`);
}

export const create = serverMutation({
  args: {
    userId: v.string(),
    name: v.string(),
    description: v.optional(v.string()),
    prompt: v.optional(v.string()),
    framework: v.optional(v.string()),
  },
  handler: async (ctx, args) => {
    const name = projectName(args.name);
    const user = await requireUser(ctx, args.userId);
    if (user.deletedAt !== undefined) throw storeError("not_found", "User not found.");
    await assertNameFree(ctx, user._id, name);
    const at = Date.now();
    const id = await ctx.db.insert("projects", {
      userId: user._id,
      name,
      description: args.description ?? "",
      prompt: args.prompt ?? "",
      framework: args.framework ?? "",
      status: "pending",
      createdAt: at,
      updatedAt: at,
    });
    return toProject((await ctx.db.get("projects", id))!);
  },
});

export const list = serverQuery({
  args: { userId: v.string() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    const user = userId ? await ctx.db.get("users", userId) : null;
    if (!userId || !user || user.deletedAt !== undefined) return [];
    const projects = await ctx.db
      .query("projects")
      .withIndex("by_userId_name", (q) => q.eq("userId", userId))
      .collect();
    projects.sort((a, b) => b.updatedAt - a.updatedAt || b._creationTime - a._creationTime);
    return projects.map(toProject);
  },
});

export const get = serverQuery({
  args: { userId: v.string(), projectId: v.string() },
  handler: async (ctx, args) => {
    const project = await findOwnedProject(ctx, args.userId, args.projectId);
    return project ? toProject(project) : null;
  },
});

export const update = serverMutation({
  args: {
    userId: v.string(),
    projectId: v.string(),
    patch: v.object({
      name: v.optional(v.string()),
      description: v.optional(v.string()),
      prompt: v.optional(v.string()),
      framework: v.optional(v.string()),
      status: v.optional(projectStatus),
    }),
  },
  handler: async (ctx, { userId, projectId, patch }) => {
    const name = patch.name === undefined ? undefined : projectName(patch.name);
    const current = await requireOwnedProject(ctx, userId, projectId);
    if (name !== undefined && name !== current.name) await assertNameFree(ctx, current.userId, name);
    await ctx.db.patch("projects", current._id, {
      name: name ?? current.name,
      description: patch.description ?? current.description,
      prompt: patch.prompt ?? current.prompt,
      framework: patch.framework ?? current.framework,
      status: patch.status ?? current.status,
      updatedAt: Date.now(),
    });
    return toProject((await ctx.db.get("projects", current._id))!);
  },
});
