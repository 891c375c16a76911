import { z } from "zod";
import { HttpError, notFound } from "@/lib/http/errors";
import { decimalId, fieldError } from "@/lib/http/fields";
import { getProject } from "@/lib/projects/service";
import { getStore, type Id } from "@/lib/store";
import type { FileInput, Project, Version } from "@/lib/store/types";
import { MAX_FILES_PER_PROJECT, MAX_FILE_BYTES, MAX_PATH_LENGTH, normalizeProjectPath } from "@/lib/files/paths";
import { fileViewFor, type FileMeta, type FileView, type VersionSummary } from "./file-view";

/**
 * Files and versions of one project, for its owner. Every function checks
 * ownership first: someone else's project (or a malformed id) is a 404.
 */

/** Shape and a generous bound only: normalizeProjectPath (lib/files/paths) is the path rule. */
const pathString = (field: string) =>
  z
    .string({ error: fieldError(field, "a file path") })
    .min(1)
    .max(MAX_PATH_LENGTH * 2);

const list = <T extends z.ZodType>(field: string, item: T) =>
  z.array(item, { error: fieldError(field, "a list") }).max(MAX_FILES_PER_PROJECT).default([]);

export const saveFilesBodySchema = z
  .object({
    files: list(
      "files",
      z.object(
        {
          path: pathString("path"),
          content: z.string({ error: fieldError("content", "a string") }).max(MAX_FILE_BYTES * 4),
        },
        { error: fieldError("each of files", "an object with path and content") },
      ),
    ),
    deletes: list("deletes", pathString("each of deletes")),
    /** Server-side rename: the saved content of `from` is written to `to` and `from` deleted, in the same save. */
    renames: list(
      "renames",
      z.object(
        { from: pathString("from"), to: pathString("to") },
        { error: fieldError("each of renames", "an object with from and to") },
      ),
    ),
    message: z.string({ error: fieldError("message", "a string") }).trim().max(500).optional(),
  }, { error: fieldError("The body", "a JSON object") })
  .refine((body) => body.files.length + body.deletes.length + body.renames.length > 0, {
    message: "Nothing to save: send at least one file, delete or rename.",
  });
export type SaveFilesBody = z.infer<typeof saveFilesBodySchema>;

/** A version number in a URL: plain decimal digits only ("0x1" or "1e0" is not version 1). */
export const versionNumberSchema = decimalId("Version number");

export function summarizeVersion(version: Version): VersionSummary {
  return {
    number: version.number,
    message: version.message,
    parent: version.parent,
    createdAt: version.createdAt,
    fileCount: Object.keys(version.manifest).length,
  };
}

export async function listProjectFiles(
  userId: Id,
  projectId: string,
): Promise<{ files: FileMeta[]; latestVersion: number | null }> {
  await getProject(userId, projectId);
  const store = await getStore();
  const [files, versions] = await Promise.all([
    store.listFiles(userId, projectId),
    store.listVersions(userId, projectId),
  ]);
  return {
    files: files
      .map(({ path, language, size, updatedAt }) => ({ path, language, size, updatedAt }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    latestVersion: versions.reduce<number | null>((max, v) => (max === null || v.number > max ? v.number : max), null),
  };
}

export async function readProjectFile(userId: Id, projectId: string, rawPath: string): Promise<FileView> {
  await getProject(userId, projectId);
  const path = normalizeProjectPath(rawPath);
  const store = await getStore();
  const file = await store.getFile(userId, projectId, path);
  if (!file) throw notFound("File");
  return fileViewFor(file);
}

export async function saveProjectFiles(userId: Id, projectId: string, body: SaveFilesBody): Promise<Version> {
  await getProject(userId, projectId);
  const store = await getStore();
  const files: FileInput[] = [...body.files];
  const deletes = [...body.deletes];
  for (const { from, to } of body.renames) {
    const source = await store.getFile(userId, projectId, normalizeProjectPath(from));
    if (!source) throw new HttpError(404, "not_found", `Cannot rename ${from}: no such file.`);
    files.push({ path: to, content: source.content });
    deletes.push(source.path);
  }
  return store.saveFiles(userId, projectId, { files, deletes, message: body.message || describeSave(files, deletes) });
}

function describeSave(files: FileInput[], deletes: string[]): string {
  const parts = [];
  if (files.length) parts.push(files.length === 1 ? `Edit ${files[0].path}` : `Edit ${files.length} files`);
  if (deletes.length) parts.push(deletes.length === 1 ? `delete ${deletes[0]}` : `delete ${deletes.length} files`);
  const text = parts.join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export async function listProjectVersions(userId: Id, projectId: string): Promise<VersionSummary[]> {
  await getProject(userId, projectId);
  const store = await getStore();
  const versions = await store.listVersions(userId, projectId);
  return versions.map(summarizeVersion).sort((a, b) => b.number - a.number);
}

export async function getProjectVersion(
  userId: Id,
  projectId: string,
  number: number,
): Promise<{ version: VersionSummary; files: FileInput[] }> {
  await getProject(userId, projectId);
  const store = await getStore();
  const version = await store.getVersion(userId, projectId, number);
  if (!version) throw notFound("Version");
  const files = await store.getVersionFiles(userId, projectId, number);
  return { version: summarizeVersion(version), files: files.sort((a, b) => a.path.localeCompare(b.path)) };
}

export async function restoreProjectVersion(userId: Id, projectId: string, number: number): Promise<Version> {
  await getProject(userId, projectId);
  const store = await getStore();
  const version = await store.getVersion(userId, projectId, number);
  if (!version) throw notFound("Version");
  return store.restoreVersion(userId, projectId, number);
}

/** The project and its current files, for an export. */
export async function projectForExport(
  userId: Id,
  projectId: string,
): Promise<{ project: Project; files: Array<FileInput & { updatedAt: number }> }> {
  const project = await getProject(userId, projectId);
  const store = await getStore();
  const files = await store.listFiles(userId, projectId);
  return {
    project,
    files: files
      .map(({ path, content, updatedAt }) => ({ path, content, updatedAt }))
      .sort((a, b) => a.path.localeCompare(b.path)),
  };
}
