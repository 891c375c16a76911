import { describe, expect, it } from "vitest";
import { DIFF_LINE_PX, DIFF_MAX_PX, diffHeightPx, undoOffer } from "@/lib/client/change-review";

/** What the review of a finished change offers: Undo only while the change is the current version. */

describe("undoOffer", () => {
  it("offers to restore the parent while the change's version is the newest", () => {
    expect(undoOffer({ version: 2, parent: 1, latest: 2, savedAs: null })).toEqual({ kind: "available", restores: 1 });
  });

  it("waits for the versions before offering anything", () => {
    expect(undoOffer({ version: 2, parent: 1, latest: undefined, savedAs: null })).toEqual({ kind: "checking" });
  });

  it("offers no Undo once another version came after the change", () => {
    expect(undoOffer({ version: 2, parent: 1, latest: 4, savedAs: null })).toEqual({ kind: "superseded", latest: 4 });
  });

  it("says what the Undo made, even though that version is now the newest", () => {
    expect(undoOffer({ version: 2, parent: 1, latest: 3, savedAs: 3 })).toEqual({ kind: "undone", restores: 1, savedAs: 3 });
    expect(undoOffer({ version: 2, parent: 1, latest: 2, savedAs: 3 })).toEqual({ kind: "undone", restores: 1, savedAs: 3 });
  });

  it("has nothing to go back to without a version before the change", () => {
    expect(undoOffer({ version: 1, parent: null, latest: 1, savedAs: null })).toEqual({ kind: "nothing_before" });
  });

  it("restores the parent, not the number just below, when they differ", () => {
    expect(undoOffer({ version: 7, parent: 5, latest: 7, savedAs: null })).toEqual({ kind: "available", restores: 5 });
  });
});

describe("diffHeightPx", () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`).join("\n") + "\n";

  it("fits a small change: both sides' lines, inline", () => {
    expect(diffHeightPx(lines(3), lines(4))).toBe(7 * DIFF_LINE_PX + 8);
  });

  it("counts a last line without a newline", () => {
    expect(diffHeightPx("a\nb", "a\nb\nc")).toBe(diffHeightPx("a\nb\n", "a\nb\nc\n"));
  });

  it("keeps a minimum for an empty side and a maximum for long files", () => {
    expect(diffHeightPx("", "one\n")).toBe(4 * DIFF_LINE_PX + 8);
    expect(diffHeightPx(lines(400), lines(401))).toBe(DIFF_MAX_PX);
  });
});
