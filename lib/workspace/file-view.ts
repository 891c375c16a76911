/**
 * What the workspace API sends about files and versions. Pure (no Node or
 * store imports), so client components can import the types and the limit.
 */

export interface FileMeta {
  path: string;
  language: string;
  size: number;
  updatedAt: number;
}

/** Largest file the editor opens; bigger ones get a message and stay in the ZIP. */
export const DISPLAY_LIMIT_BYTES = 256 * 1024;

export type Unviewable = "binary" | "too_large";

export interface FileView {
  path: string;
  language: string;
  size: number;
  /** null when `unviewable` says why it is not sent for display. */
  content: string | null;
  unviewable: Unviewable | null;
}

export interface VersionSummary {
  number: number;
  message: string;
  parent: number | null;
  createdAt: number;
  fileCount: number;
}

// NUL, or a lone UTF-16 surrogate (not valid Unicode text), or U+FFFD from a failed decode.
const NOT_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\ufffd/;

export function looksBinary(content: string): boolean {
  return NOT_TEXT.test(content);
}

export function fileViewFor(file: { path: string; content: string; language: string; size: number }): FileView {
  const base = { path: file.path, language: file.language, size: file.size };
  if (file.size > DISPLAY_LIMIT_BYTES) return { ...base, content: null, unviewable: "too_large" };
  if (looksBinary(file.content)) return { ...base, content: null, unviewable: "binary" };
  return { ...base, content: file.content, unviewable: null };
}
