import { describe, expect, it } from "vitest";
import { applyEdit, isWastefulRewrite } from "@/lib/ai/edits";

const FILE = `import express from "express";

const app = express();
const port = 3000;

app.get("/", (req, res) => res.send("ok"));
app.listen(port);
`;

describe("applyEdit", () => {
  it("replaces the unique exact match and leaves the rest byte for byte", () => {
    const result = applyEdit(FILE, "const port = 3000;\n", "const port = Number(process.env.PORT ?? 3000);\n");
    expect(result).toEqual({
      ok: true,
      content: FILE.replace("const port = 3000;", "const port = Number(process.env.PORT ?? 3000);"),
    });
  });

  it("inserts replacement text literally, with no $-pattern expansion", () => {
    const result = applyEdit("price = X;", "X", "$& $1 $$ $'");
    expect(result).toEqual({ ok: true, content: "price = $& $1 $$ $';" });
  });

  it("can delete a block with an empty replacement", () => {
    expect(applyEdit("a\nb\nc\n", "b\n", "")).toEqual({ ok: true, content: "a\nc\n" });
  });

  it("refuses an empty search block", () => {
    const result = applyEdit(FILE, "", "x");
    expect(result).toMatchObject({ ok: false, reason: "empty_search" });
    if (!result.ok) expect(result.message).toContain("<search> block is empty");
  });

  it("reports no match, quoting the first lines of the search block", () => {
    const search = "const port = 4000;\nconst host = 'x';\nline three\nline four\n";
    const result = applyEdit(FILE, search, "x");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe("no_match");
    expect(result.message).toContain("was not found");
    expect(result.message).toContain("    const port = 4000;\n    const host = 'x';\n    line three\n    … (5 lines in all)");
    expect(result.message).not.toContain("line four");
    expect(result.message).toContain("Copy the lines exactly");
  });

  it("says when the search block only differs in whitespace", () => {
    const result = applyEdit(FILE, "  const app = express();\n    const port = 3000;", "x");
    expect(result).toMatchObject({ ok: false, reason: "no_match" });
    if (!result.ok) expect(result.message).toContain("different indentation or spacing");
  });

  it("reports multiple matches with their count and line numbers", () => {
    const content = "x = 1;\ny = 2;\nx = 1;\nz = 3;\nx = 1;\n";
    const result = applyEdit(content, "x = 1;", "x = 2;");
    expect(result).toMatchObject({ ok: false, reason: "multiple_matches" });
    if (!result.ok) {
      expect(result.message).toContain("matches 3 times (at lines 1, 3, 5)");
      expect(result.message).toContain("    x = 1;");
      expect(result.message).toContain("more surrounding lines");
    }
  });

  it("counts overlapping occurrences as ambiguous", () => {
    expect(applyEdit("aaa", "aa", "b")).toMatchObject({ ok: false, reason: "multiple_matches" });
  });

  it("is exact about line endings", () => {
    expect(applyEdit("a\r\nb\r\n", "a\nb\n", "c")).toMatchObject({ ok: false, reason: "no_match" });
  });

  it("clips very long quoted lines", () => {
    const result = applyEdit("short", "y".repeat(500), "x");
    if (result.ok) throw new Error("expected a failure");
    expect(result.message).toContain(`${"y".repeat(120)}…`);
    expect(result.message).not.toContain("y".repeat(121));
  });
});

describe("isWastefulRewrite", () => {
  const lines = Array.from({ length: 200 }, (_, i) => `export const value${i} = ${i}; // a line of ordinary code`);
  const big = `${lines.join("\n")}\n`;

  it("flags a rewrite of a large file that changes a few lines", () => {
    expect(big.length).toBeGreaterThan(4096);
    const changed = big.replace("value7 = 7", "value7 = 70").replace("value99 = 99", "value99 = 990");
    expect(isWastefulRewrite(big, changed)).toBe(true);
    expect(isWastefulRewrite(big, big)).toBe(true);
  });

  it("does not flag a rewrite that changes a large share of the lines", () => {
    const rewritten = lines.map((line, i) => (i % 4 === 0 ? line.replace("ordinary", "changed") : line)).join("\n");
    expect(isWastefulRewrite(big, `${rewritten}\n`)).toBe(false);
  });

  it("does not flag small files, however little changes", () => {
    const small = lines.slice(0, 20).join("\n");
    expect(small.length).toBeLessThan(4096);
    expect(isWastefulRewrite(small, small.replace("value1 ", "valueOne "))).toBe(false);
  });

  it("does not flag a file that grew or shrank a lot", () => {
    expect(isWastefulRewrite(big, `${big}${big}`)).toBe(false);
    expect(isWastefulRewrite(big, lines.slice(0, 100).join("\n"))).toBe(false);
  });

  it("sits at the 20% boundary", () => {
    const changeFirst = (n: number) => `${lines.map((line, i) => (i < n ? `${line}!` : line)).join("\n")}\n`;
    // 201 lines with the trailing empty one: 40 changed is under 20%, 41 is not
    expect(isWastefulRewrite(big, changeFirst(40))).toBe(true);
    expect(isWastefulRewrite(big, changeFirst(41))).toBe(false);
  });
});
