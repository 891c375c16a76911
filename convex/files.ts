import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import { assertValidTree, languageForPath, normalizeProjectPath, utf8ByteLength, validateFileSet } from "../lib/files/paths";
import { serverMutation, serverQuery } from "./lib/functions";
import { findOwnedProject, requireOwnedProject } from "./lib/access";
import { storeError } from "./lib/errors";
import { toProjectFile, toVersionRecord, type VersionRecord } from "./lib/records";
import { sha256Hex } from "./lib/sha256";

/**
 * Files and versions. A file row points at a blob (sha256 → content, stored
 * once); a version's manifest lists every path's blob.
 */


type ManifestEntry = Doc<"versions">["manifest"][number];

async function fileAt(ctx: QueryCtx, projectId: Id<"projects">, path: string): Promise<Doc<"files"> | null> {
  return ctx.db
    .query("files")
    .withIndex("by_projectId_path", (q) => q.eq("projectId", projectId).eq("path", path))
    .first();
}

async function projectFiles(ctx: QueryCtx, projectId: Id<"projects">): Promise<Doc<"files">[]> {
  return ctx.db
    .query("files")
    .withIndex("by_projectId_path", (q) => q.eq("projectId", projectId))
    .collect();
}

async function versionAt(ctx: QueryCtx, projectId: Id<"projects">, number: number): Promise<Doc<"versions"> | null> {
  return ctx.db
    .query("versions")
    .withIndex("by_projectId_number", (q) => q.eq("projectId", projectId).eq("number", number))
    .first();
}

async function requireVersion(ctx: QueryCtx, projectId: Id<"projects">, number: number): Promise<Doc<"versions">> {
  const version = await versionAt(ctx, projectId, number);
  if (!version) throw storeError("not_found", `Version ${number} not found.`);
  return version;
}

async function blobContent(ctx: QueryCtx, sha256: string, path: string): Promise<string> {
  const blob = await ctx.db
    .query("blobs")
    .withIndex("by_sha256", (q) => q.eq("sha256", sha256))
    .first();
  if (!blob) throw new Error(`Blob ${sha256} of ${path} is missing from the store.`);
  return blob.content;
}

async function storeBlob(ctx: MutationCtx, path: string, content: string): Promise<ManifestEntry> {
  const size = utf8ByteLength(content);
  const sha256 = await sha256Hex(content);
  const existing = await ctx.db
    .query("blobs")
    .withIndex("by_sha256", (q) => q.eq("sha256", sha256))
    .first();
  if (!existing) await ctx.db.insert("blobs", { sha256, content });
  return { path, sha256, size };
}

/** Points `path` at a stored blob, creating or replacing the file row. */
async function putFile(ctx: MutationCtx, projectId: Id<"projects">, entry: ManifestEntry, at: number): Promise<void> {
  const fields = { sha256: entry.sha256, size: entry.size, language: languageForPath(entry.path), updatedAt: at };
  const existing = await fileAt(ctx, projectId, entry.path);
  if (existing) await ctx.db.patch("files", existing._id, fields);
  else await ctx.db.insert("files", { projectId, path: entry.path, ...fields });
}

/** Snapshots the project's current tree as its next version (file rows only; no content is read). */
async function recordVersion(
  ctx: MutationCtx,
  projectId: Id<"projects">,
  message: string,
  at: number,
): Promise<VersionRecord> {
  const manifest = (await projectFiles(ctx, projectId)).map((f) => ({ path: f.path, sha256: f.sha256, size: f.size }));
  const last = await ctx.db
    .query("versions")
    .withIndex("by_projectId_number", (q) => q.eq("projectId", projectId))
    .order("desc")
    .first();
  const parent = last ? last.number : null;
  const id = await ctx.db.insert("versions", {
    projectId,
    number: (parent ?? 0) + 1,
    message,
    parent,
    createdAt: at,
    manifest,
  });
  await ctx.db.patch("projects", projectId, { updatedAt: at });
  return toVersionRecord((await ctx.db.get("versions", id))!);
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export const list = serverQuery({
  args: { userId: v.string(), projectId: v.string() },
  handler: async (ctx, args) => {
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const files = [];
    for (const f of await projectFiles(ctx, project._id)) {
      files.push(toProjectFile(f, await blobContent(ctx, f.sha256, f.path)));
    }
    return files;
  },
});

export const get = serverQuery({
  args: { userId: v.string(), projectId: v.string(), path: v.string() },
  handler: async (ctx, args) => {
    const path = normalizeProjectPath(args.path);
    const project = await findOwnedProject(ctx, args.userId, args.projectId);
    if (!project) return null;
    const file = await fileAt(ctx, project._id, path);
    return file ? toProjectFile(file, await blobContent(ctx, file.sha256, file.path)) : null;
  },
});

export const save = serverMutation({
  args: {
    userId: v.string(),
    projectId: v.string(),
    files: v.array(v.object({ path: v.string(), content: v.string() })),
    deletes: v.array(v.string()),
    message: v.string(),
  },
  handler: async (ctx, args) => {
    const { files, deletes } = validateFileSet(args);
    const message = args.message.trim() || "Update files";
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const existing = await projectFiles(ctx, project._id);
    const tree = new Set(existing.map((f) => f.path));
    for (const path of deletes) tree.delete(path);
    for (const f of files) tree.add(f.path);
    assertValidTree(tree);

    const at = Date.now();
    for (const path of deletes) {
      const file = existing.find((f) => f.path === path);
      if (file) await ctx.db.delete("files", file._id);
    }
    for (const f of files) await putFile(ctx, project._id, await storeBlob(ctx, f.path, f.content), at);
    return recordVersion(ctx, project._id, message, at);
  },
});

export const listVersions = serverQuery({
  args: { userId: v.string(), projectId: v.string() },
  handler: async (ctx, args) => {
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const versions = await ctx.db
      .query("versions")
      .withIndex("by_projectId_number", (q) => q.eq("projectId", project._id))
      .order("desc")
      .collect();
    return versions.map(toVersionRecord);
  },
});

export const getVersion = serverQuery({
  args: { userId: v.string(), projectId: v.string(), number: v.number() },
  handler: async (ctx, args) => {
    const project = await findOwnedProject(ctx, args.userId, args.projectId);
    if (!project) return null;
    const version = await versionAt(ctx, project._id, args.number);
    return version ? toVersionRecord(version) : null;
  },
});

export const getVersionFiles = serverQuery({
  args: { userId: v.string(), projectId: v.string(), number: v.number() },
  handler: async (ctx, args) => {
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const version = await requireVersion(ctx, project._id, args.number);
    const contents = [];
    for (const { path, sha256 } of [...version.manifest].sort(byPath)) {
      contents.push({ path, content: await blobContent(ctx, sha256, path) });
    }
    return contents;
  },
});

/** Makes the tree equal to version `number` by re-pointing file rows at its blobs, then records that as a new version. */
export const restore = serverMutation({
  args: { userId: v.string(), projectId: v.string(), number: v.number() },
  handler: async (ctx, args) => {
    const project = await requireOwnedProject(ctx, args.userId, args.projectId);
    const version = await requireVersion(ctx, project._id, args.number);
    const keep = new Set(version.manifest.map((e) => e.path));
    const at = Date.now();
    for (const file of await projectFiles(ctx, project._id)) {
      if (!keep.has(file.path)) await ctx.db.delete("files", file._id);
    }
    for (const entry of version.manifest) await putFile(ctx, project._id, entry, at);
    return recordVersion(ctx, project._id, `Restore version ${args.number}`, at);
  },
});
