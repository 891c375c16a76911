/**
 * What the review of a finished change request offers. Pure. The change saved
 * version `version`; its parent is the version it started from, which Undo
 * restores (a restore is itself a new version, so nothing is lost).
 */

export type UndoOffer =
  /** The versions are not known yet. */
  | { kind: "checking" }
  /** The change's version is the current one: Undo restores `restores`. */
  | { kind: "available"; restores: number }
  /** Undo was done here: `savedAs` has the files of `restores` again. */
  | { kind: "undone"; restores: number; savedAs: number }
  /** Another version came after the change: restoring its parent would also drop that one, so no Undo here. */
  | { kind: "superseded"; latest: number }
  /** The change has no version before it. */
  | { kind: "nothing_before" };

export interface UndoInput {
  version: number;
  parent: number | null;
  /** The project's newest version; undefined while loading. */
  latest: number | undefined;
  /** The version the Undo made, once it has. */
  savedAs: number | null;
}

export function undoOffer({ version, parent, latest, savedAs }: UndoInput): UndoOffer {
  if (parent === null) return { kind: "nothing_before" };
  if (savedAs !== null) return { kind: "undone", restores: parent, savedAs };
  if (latest === undefined) return { kind: "checking" };
  if (latest > version) return { kind: "superseded", latest };
  return { kind: "available", restores: parent };
}

/** Pixels per line of the read-only diff (Monaco at font size 13). */
export const DIFF_LINE_PX = 19;
const DIFF_MIN_LINES = 4;
const DIFF_MAX_LINES = 18;
/** The tallest a diff box grows; a longer diff scrolls inside it. */
export const DIFF_MAX_PX = DIFF_MAX_LINES * DIFF_LINE_PX + 8;

function lineCount(text: string): number {
  if (text === "") return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/**
 * Height of one file's diff box before Monaco has laid it out (its diff editor
 * needs a fixed height). Inline, both sides' lines can show, so it grows with
 * their sum, within bounds.
 */
export function diffHeightPx(before: string, after: string): number {
  const lines = Math.min(DIFF_MAX_LINES, Math.max(DIFF_MIN_LINES, lineCount(before) + lineCount(after)));
  return lines * DIFF_LINE_PX + 8;
}
