import { describe, expect, it } from "vitest";
import { buildTree, visibleRows, type TreeNode } from "@/lib/client/file-tree";
import { diffFileSets } from "@/lib/client/version-changes";
import { fileViewFor, looksBinary, DISPLAY_LIMIT_BYTES } from "@/lib/workspace/file-view";

const names = (nodes: TreeNode[]): unknown =>
  nodes.map((n) => (n.kind === "folder" ? { [n.name]: names(n.children) } : n.name));

describe("buildTree", () => {
  it("nests folders from paths, folders first, natural order", () => {
    const tree = buildTree(["src/b.ts", "README.md", "src/lib/a10.ts", "src/lib/a2.ts", "a.json", "src/a.ts"]);
    expect(names(tree)).toEqual([{ src: [{ lib: ["a2.ts", "a10.ts"] }, "a.ts", "b.ts"] }, "a.json", "README.md"]);
    expect(tree[0]).toMatchObject({ kind: "folder", path: "src" });
  });

  it("lists visible rows with depth, skipping collapsed folders", () => {
    const tree = buildTree(["src/lib/x.ts", "src/y.ts", "z.ts"]);
    const all = visibleRows(tree, new Set());
    expect(all.map((r) => [r.node.path, r.depth, r.parentPath])).toEqual([
      ["src", 0, null],
      ["src/lib", 1, "src"],
      ["src/lib/x.ts", 2, "src/lib"],
      ["src/y.ts", 1, "src"],
      ["z.ts", 0, null],
    ]);
    expect(visibleRows(tree, new Set(["src/lib"])).map((r) => r.node.path)).toEqual([
      "src",
      "src/lib",
      "src/y.ts",
      "z.ts",
    ]);
    expect(visibleRows(tree, new Set(["src"])).map((r) => r.node.path)).toEqual(["src", "z.ts"]);
  });
});

describe("diffFileSets", () => {
  it("classifies added, removed and modified files and ignores unchanged ones", () => {
    const changes = diffFileSets(
      [
        { path: "same.ts", content: "1" },
        { path: "gone.ts", content: "old" },
        { path: "edit.ts", content: "a" },
      ],
      [
        { path: "same.ts", content: "1" },
        { path: "edit.ts", content: "b" },
        { path: "new.ts", content: "n" },
      ],
    );
    expect(changes).toEqual([
      { path: "edit.ts", kind: "modified", before: "a", after: "b" },
      { path: "gone.ts", kind: "removed", before: "old", after: "" },
      { path: "new.ts", kind: "added", before: "", after: "n" },
    ]);
  });
});

describe("fileViewFor", () => {
  const file = (content: string) => ({ path: "f", content, language: "plaintext", size: Buffer.byteLength(content) });
  it("sends text, flags binary and too-large content", () => {
    expect(fileViewFor(file("héllo 👋\n"))).toMatchObject({ content: "héllo 👋\n", unviewable: null });
    expect(fileViewFor(file("a\u0000b"))).toMatchObject({ content: null, unviewable: "binary" });
    expect(fileViewFor(file("x".repeat(DISPLAY_LIMIT_BYTES + 1)))).toMatchObject({
      content: null,
      unviewable: "too_large",
    });
    expect(fileViewFor(file("x".repeat(DISPLAY_LIMIT_BYTES))).unviewable).toBeNull();
  });
  it("treats lone surrogates and replacement characters as not text", () => {
    expect(looksBinary("ok \ud83d\ude00")).toBe(false);
    expect(looksBinary("bad \ud83d end")).toBe(true);
    expect(looksBinary("bad \ude00 end")).toBe(true);
    expect(looksBinary("decoded \ufffd")).toBe(true);
  });
});
