import { utf8ByteLength } from "@/lib/files/paths";

/**
 * Applying a role's `<edit>` (docs/architecture.md#the-output-protocol): the search block must occur
 * exactly once, byte for byte. When it does not, the message is written for
 * the model, so the step can be retried with a better search block.
 */

export type EditResult =
  | { ok: true; content: string }
  | { ok: false; reason: "no_match" | "multiple_matches" | "empty_search"; message: string };

const QUOTED_LINES = 3;
const QUOTED_LINE_CHARS = 120;
const LISTED_MATCHES = 5;

function describeSearch(search: string): string {
  const lines = search.split("\n");
  const shown = lines.slice(0, QUOTED_LINES).map((line) => {
    const clipped = line.length > QUOTED_LINE_CHARS ? `${line.slice(0, QUOTED_LINE_CHARS)}…` : line;
    return `    ${clipped}`;
  });
  const more = lines.length > QUOTED_LINES ? `\n    … (${lines.length} lines in all)` : "";
  return `${shown.join("\n")}${more}`;
}

/** Start offsets of every occurrence, overlapping ones included ("aa" occurs twice in "aaa"). */
function occurrences(haystack: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) found.push(at);
  return found;
}

function lineNumberAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Lines with surrounding whitespace removed, blank lines dropped: a near miss still matches here. */
function looseLines(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join("\n");
}

export function applyEdit(current: string, search: string, replace: string): EditResult {
  if (search === "") {
    return {
      ok: false,
      reason: "empty_search",
      message:
        "The <search> block is empty. Copy the exact lines to change from the current file into <search>, " +
        "or rewrite the whole file with <file>.",
    };
  }
  const found = occurrences(current, search);
  if (found.length === 1) {
    const at = found[0];
    return { ok: true, content: current.slice(0, at) + replace + current.slice(at + search.length) };
  }
  if (found.length === 0) {
    const loose = looseLines(search);
    const whitespaceHint =
      loose !== "" && looseLines(current).includes(loose)
        ? " The same lines do appear with different indentation or spacing: copy the whitespace exactly."
        : " Copy the lines exactly as they are in the current file, including indentation, or rewrite the file with <file>.";
    return {
      ok: false,
      reason: "no_match",
      message: `The <search> block was not found in the file:\n${describeSearch(search)}\n${whitespaceHint.trim()}`,
    };
  }
  const lines = found.slice(0, LISTED_MATCHES).map((at) => lineNumberAt(current, at));
  const more = found.length > LISTED_MATCHES ? ", …" : "";
  return {
    ok: false,
    reason: "multiple_matches",
    message:
      `The <search> block matches ${found.length} times (at lines ${lines.join(", ")}${more}); it must match exactly once:\n` +
      `${describeSearch(search)}\nInclude more surrounding lines so that it is unique.`,
  };
}

/** A rewrite is only worth flagging for files above this size. */
export const WASTEFUL_REWRITE_MIN_BYTES = 4096;
/** …and when fewer than this share of lines changed. */
export const WASTEFUL_REWRITE_MAX_CHANGED = 0.2;

/**
 * True when a whole-file `<file>` rewrite of an existing file over 4 KB
 * changes fewer than 20% of its lines, where an `<edit>` would have cost far
 * fewer output tokens. Lines are compared as multisets (linear, order
 * ignored), which never overstates how much changed.
 */
export function isWastefulRewrite(oldContent: string, newContent: string): boolean {
  if (utf8ByteLength(oldContent) <= WASTEFUL_REWRITE_MIN_BYTES) return false;
  const oldLines = oldContent.split("\n");
  const newLines = newContent.split("\n");
  const remaining = new Map<string, number>();
  for (const line of oldLines) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  let added = 0;
  for (const line of newLines) {
    const count = remaining.get(line) ?? 0;
    if (count > 0) remaining.set(line, count - 1);
    else added++;
  }
  const removed = oldLines.length - (newLines.length - added);
  const changed = Math.max(added, removed);
  return changed < WASTEFUL_REWRITE_MAX_CHANGED * Math.max(oldLines.length, newLines.length);
}
