import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import { serverMutation, serverQuery } from "./lib/functions";
import { findOwnedProject, requireOwnedProject, requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { toProject } from "./lib/records";
import { projectStatus } from "./lib/validators";
import { PROJECT_RUN_STILL_RUNNING, projectName } from "../lib/store/rules";


/** A deleted project (being purged) no longer holds its name. */
async function assertNameFree(ctx: QueryCtx, userId: Id<"users">, name: string): Promise<void> {
  const holders = await ctx.db
    .query("projects")
    .withIndex("by_userId_name", (q) => q.eq("userId", userId).eq("name", name))
    .collect();
  if (holders.some((p) => p.deletedAt === undefined)) throw storeError("conflict", `You already have a project named "${name}".`);
}

export const create = serverMutation({
  args: {
    userId: v.string(),
    name: v.string(),
    description: v.optional(v.string()),
    prompt: v.optional(v.string()),
    framework: v.optional(v.string()),
    model: v.optional(v.union(v.string(), v.null())),
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
      ...(typeof args.model === "string" ? { model: args.model } : {}),
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
    const projects = (
      await ctx.db
        .query("projects")
        .withIndex("by_userId_name", (q) => q.eq("userId", userId))
        .collect()
    ).filter((p) => p.deletedAt === undefined);
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
      // null forgets the model.
      model: v.optional(v.union(v.string(), v.null())),
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
      ...(patch.model === undefined ? {} : { model: patch.model ?? undefined }),
      updatedAt: Date.now(),
    });
    return toProject((await ctx.db.get("projects", current._id))!);
  },
});

/**
 * Store.deleteProject, the atomic part: the project (refused while one of its runs is running)
 * is marked deleted, which makes it nonexistent to every operation and frees its name. Returns it
 * as it was, and every deleted project of the user still to purge: this one, and any whose purge
 * an earlier call did not finish (the adapter purges them all).
 */
export const remove = serverMutation({
  args: { userId: v.string(), projectId: v.string() },
  handler: async (ctx, { userId, projectId }) => {
    const project = await requireOwnedProject(ctx, userId, projectId);
    const running = await ctx.db
      .query("runs")
      .withIndex("by_projectId_status", (q) => q.eq("projectId", project._id).eq("status", "running"))
      .first();
    if (running) throw storeError("conflict", PROJECT_RUN_STILL_RUNNING);
    await ctx.db.patch("projects", project._id, { deletedAt: Date.now() });
    const toPurge: string[] = [];
    for await (const p of ctx.db.query("projects").withIndex("by_userId_name", (q) => q.eq("userId", project.userId))) {
      if (p.deletedAt !== undefined) toPurge.push(p._id);
    }
    return { project: toProject(project), toPurge };
  },
});

/**
 * What one purge call may touch: a Convex transaction may read at most 16 MiB and write a
 * bounded number of documents, and deleting or patching a document reads it once more. Sizes
 * are estimated from the documents' JSON.
 */
const PURGE_BUDGET = { bytes: 4 * 1024 * 1024, documents: 1_000 };

class Budget {
  private bytes = PURGE_BUDGET.bytes;
  private documents = PURGE_BUDGET.documents;
  /** Counts one document; false once the call has done enough. */
  spend(doc: object): boolean {
    this.bytes -= JSON.stringify(doc).length;
    this.documents -= 1;
    return this.bytes > 0 && this.documents > 0;
  }
}

/**
 * Store.deleteProject, the rest: removes one batch of a deleted project's rows and answers
 * whether it is done. Deployments are detached (their projectName keeps the project's name) and
 * AI usage rows lose their projectId; runs with their events, generation steps, files and
 * versions are deleted; last, the project's document. Refuses a project that is not deleted.
 */
export const purge = serverMutation({
  args: { userId: v.string(), projectId: v.string() },
  handler: async (ctx, { userId, projectId }) => {
    const id = ctx.db.normalizeId("projects", projectId);
    const project = id ? await ctx.db.get("projects", id) : null;
    if (!project || project.userId !== userId) return { done: true };
    if (project.deletedAt === undefined) throw storeError("invalid", "Only a deleted project is purged.");
    return { done: await purgeBatch(ctx, project) };
  },
});

async function purgeBatch(ctx: MutationCtx, project: Doc<"projects">): Promise<boolean> {
  const projectId = project._id;
  const budget = new Budget();

  for await (const d of ctx.db.query("deployments").withIndex("by_projectId", (q) => q.eq("projectId", projectId))) {
    await ctx.db.patch("deployments", d._id, { projectId: undefined, projectName: project.name });
    if (!budget.spend(d)) return false;
  }
  for await (const r of ctx.db.query("aiRequests").withIndex("by_projectId", (q) => q.eq("projectId", projectId))) {
    await ctx.db.patch("aiRequests", r._id, { projectId: null });
    if (!budget.spend(r)) return false;
  }
  for await (const run of ctx.db.query("runs").withIndex("by_projectId", (q) => q.eq("projectId", projectId))) {
    for await (const e of ctx.db.query("runEvents").withIndex("by_runId_seq", (q) => q.eq("runId", run._id))) {
      await ctx.db.delete("runEvents", e._id);
      if (!budget.spend(e)) return false;
    }
    await ctx.db.delete("runs", run._id);
    if (!budget.spend(run)) return false;
  }
  for await (const step of ctx.db.query("generations").withIndex("by_projectId", (q) => q.eq("projectId", projectId))) {
    await ctx.db.delete("generations", step._id);
    if (!budget.spend(step)) return false;
  }
  for await (const file of ctx.db.query("files").withIndex("by_projectId_path", (q) => q.eq("projectId", projectId))) {
    await ctx.db.delete("files", file._id);
    if (!budget.spend(file)) return false;
  }
  for await (const version of ctx.db.query("versions").withIndex("by_projectId_number", (q) => q.eq("projectId", projectId))) {
    await ctx.db.delete("versions", version._id);
    if (!budget.spend(version)) return false;
  }

  // Rows changed while being iterated are not all seen by one pass: the document goes only once none is left.
  const remaining = await Promise.all([
    ctx.db.query("deployments").withIndex("by_projectId", (q) => q.eq("projectId", projectId)).first(),
    ctx.db.query("aiRequests").withIndex("by_projectId", (q) => q.eq("projectId", projectId)).first(),
    ctx.db.query("runs").withIndex("by_projectId", (q) => q.eq("projectId", projectId)).first(),
    ctx.db.query("generations").withIndex("by_projectId", (q) => q.eq("projectId", projectId)).first(),
    ctx.db.query("files").withIndex("by_projectId_path", (q) => q.eq("projectId", projectId)).first(),
    ctx.db.query("versions").withIndex("by_projectId_number", (q) => q.eq("projectId", projectId)).first(),
  ]);
  if (remaining.some((row) => row !== null)) return false;
  await ctx.db.delete("projects", projectId);
  return true;
}
