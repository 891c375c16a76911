import type { FileInput } from "@/lib/store/types";
import type { ZipEntry } from "./writer";

/**
 * How a project becomes a ZIP: every file under one top folder named after
 * the project. Later additions (e.g. a .git folder) append more entries.
 */

const UNSAFE_NAME_CHARS = /[^\p{L}\p{N}._ -]+/gu;

/** A folder/file name safe on every OS: letters, digits, ". _ -" and spaces; never empty, never dots only. */
export function safeArchiveName(projectName: string): string {
  const cleaned = projectName
    .normalize("NFC")
    .replace(UNSAFE_NAME_CHARS, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[\s.-]+|[\s.-]+$/g, "")
    .slice(0, 80);
  return cleaned.length > 0 ? cleaned : "project";
}

/** `Content-Disposition` for the download: an ASCII fallback plus the UTF-8 name (RFC 6266 / 5987). */
export function attachmentDisposition(projectName: string): string {
  const name = safeArchiveName(projectName);
  const ascii =
    name
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/-{2,}/g, "-")
      .replace(/^-+|-+$/g, "") || "project";
  return `attachment; filename="${ascii}.zip"; filename*=UTF-8''${encodeURIComponent(`${name}.zip`)}`;
}

/** A file of the repository's `.git` folder (bytes; a path ending in "/" is an empty folder). */
export interface GitDirEntry {
  path: string;
  data: Uint8Array;
}

export function* projectZipEntries(
  projectName: string,
  files: Iterable<FileInput & { updatedAt?: number }>,
  gitDir: Iterable<GitDirEntry> = [],
): Generator<ZipEntry> {
  const top = safeArchiveName(projectName);
  for (const file of files) {
    yield { name: `${top}/${file.path}`, data: file.content, modifiedAt: file.updatedAt };
  }
  for (const entry of gitDir) {
    yield { name: `${top}/.git/${entry.path}`, data: entry.data };
  }
}
