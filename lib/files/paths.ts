import { StoreError, type FileInput } from "@/lib/store/types";

/**
 * The one place for project file-path and size rules (docs/architecture.md#trust-boundaries).
 * Pure and runtime-neutral (no Node APIs): both store adapters, the Convex
 * functions and route handlers use it.
 */

export const MAX_PATH_LENGTH = 256;
/** Per file. Half a MiB keeps one file inside one Convex document (1 MiB) with room to spare. */
export const MAX_FILE_BYTES = 512 * 1024;
export const MAX_FILES_PER_PROJECT = 500;

// C0 controls, DEL and C1 controls.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Invisible formatting characters (Unicode Cf: bidirectional overrides and isolates such as U+202E,
 * zero-width spaces and joiners, the BOM, soft hyphens…) and the line and paragraph separators:
 * they let one name display as another ("invoice\u202Etxt.exe" shows as "invoiceexe.txt").
 */
const INVISIBLE_CHARS = /[\p{Cf}\p{Zl}\p{Zp}]/u;
const INVISIBLE_CHARS_ALL = /[\p{Cf}\p{Zl}\p{Zp}]/gu;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** The path quoted for a message, its invisible characters spelled out so the message shows what was sent. */
const quoted = (input: string) =>
  JSON.stringify(input.slice(0, 80)).replace(INVISIBLE_CHARS_ALL, (c) => `<${codePoint(c)}>`);
const DRIVE_LETTER = /^[a-zA-Z]:/;

function invalid(message: string): never {
  throw new StoreError("invalid", message);
}

/**
 * Returns the canonical form of a project-relative path: forward slashes,
 * no "." or empty segments. Anything that could point outside the project
 * (absolute paths, drive letters, ".." segments) or that no file system
 * would accept is refused with StoreError("invalid").
 */
export function normalizeProjectPath(input: string): string {
  if (typeof input !== "string") invalid("File path must be a string.");
  const shown = quoted(input);
  if (input.length === 0) invalid("File path is empty.");
  if (CONTROL_CHARS.test(input)) invalid(`File path ${shown} contains a control character.`);
  const invisible = INVISIBLE_CHARS.exec(input);
  if (invisible) {
    invalid(
      `File path ${shown} contains an invisible formatting character (${codePoint(invisible[0])}), which can make a name display as another.`,
    );
  }

  const slashed = input.normalize("NFC").replace(/\\/g, "/");
  if (slashed.startsWith("/")) invalid(`File path ${shown} must be relative (no leading "/").`);
  if (DRIVE_LETTER.test(slashed)) invalid(`File path ${shown} must be relative (no drive letter).`);

  const segments = slashed.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) invalid(`File path ${shown} must not contain "..".`);
  if (segments.length === 0) invalid(`File path ${shown} does not name a file.`);

  const path = segments.join("/");
  if (path.length > MAX_PATH_LENGTH) {
    invalid(`File path ${shown}… is longer than ${MAX_PATH_LENGTH} characters.`);
  }
  return path;
}

/** UTF-8 size of a string, without allocating the encoded bytes. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export interface ValidatedFileSet {
  files: FileInput[];
  deletes: string[];
}

/**
 * Validates one save: every path normalized, each file within MAX_FILE_BYTES,
 * no path written twice or both written and deleted. Returns the normalized set.
 */
export function validateFileSet(input: { files: FileInput[]; deletes?: string[] }): ValidatedFileSet {
  if (!Array.isArray(input.files)) invalid("files must be an array.");
  if (input.files.length > MAX_FILES_PER_PROJECT) {
    invalid(`A save may contain at most ${MAX_FILES_PER_PROJECT} files.`);
  }
  const written = new Set<string>();
  const files = input.files.map((file) => {
    const path = normalizeProjectPath(file.path);
    if (typeof file.content !== "string") invalid(`Content of ${path} must be a string.`);
    if (utf8ByteLength(file.content) > MAX_FILE_BYTES) {
      invalid(`${path} is larger than ${MAX_FILE_BYTES} bytes.`);
    }
    if (written.has(path)) invalid(`${path} appears more than once in the same save.`);
    written.add(path);
    return { path, content: file.content };
  });
  const deletes = [...new Set((input.deletes ?? []).map(normalizeProjectPath))];
  for (const path of deletes) {
    if (written.has(path)) invalid(`${path} is both written and deleted in the same save.`);
  }
  return { files, deletes };
}

/**
 * Validates the whole tree a save would produce: at most MAX_FILES_PER_PROJECT
 * files, and no path that is both a file and a directory ("a" and "a/b").
 */
export function assertValidTree(paths: Iterable<string>): void {
  const all = new Set(paths);
  if (all.size > MAX_FILES_PER_PROJECT) {
    invalid(`A project may contain at most ${MAX_FILES_PER_PROJECT} files (this save would make ${all.size}).`);
  }
  for (const path of all) {
    let slash = path.indexOf("/");
    while (slash !== -1) {
      const dir = path.slice(0, slash);
      if (all.has(dir)) invalid(`${dir} cannot be both a file and the folder of ${path}.`);
      slash = path.indexOf("/", slash + 1);
    }
  }
}

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  js: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  json: "json",
  jsonc: "json",
  css: "css",
  scss: "scss",
  less: "less",
  html: "html",
  htm: "html",
  vue: "html",
  svelte: "html",
  md: "markdown",
  mdx: "markdown",
  py: "python",
  rb: "ruby",
  go: "go",
  rs: "rust",
  java: "java",
  kt: "kotlin",
  c: "c",
  h: "c",
  cpp: "cpp",
  cc: "cpp",
  hpp: "cpp",
  cs: "csharp",
  php: "php",
  swift: "swift",
  sh: "shell",
  bash: "shell",
  sql: "sql",
  prisma: "prisma",
  graphql: "graphql",
  gql: "graphql",
  yml: "yaml",
  yaml: "yaml",
  toml: "ini",
  ini: "ini",
  xml: "xml",
  svg: "xml",
};

const LANGUAGE_BY_NAME: Record<string, string> = {
  dockerfile: "dockerfile",
  makefile: "makefile",
};

/** Editor language id (Monaco naming) for a path; "plaintext" when unknown. */
export function languageForPath(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  const byName = LANGUAGE_BY_NAME[name];
  if (byName) return byName;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return "plaintext";
  return LANGUAGE_BY_EXTENSION[name.slice(dot + 1)] ?? "plaintext";
}
