import { describe, expect, it } from "vitest";
import { replaceSelection, singleCodeBlock, splitAnswer } from "@/lib/client/answer-blocks";

describe("splitAnswer", () => {
  it("separates prose from fenced code blocks", () => {
    const answer = "The bug is the off-by-one.\n\n```ts\nfor (let i = 0; i < n; i++) {}\n```\n\nThat is all.";
    expect(splitAnswer(answer)).toEqual([
      { type: "text", text: "The bug is the off-by-one." },
      { type: "code", language: "ts", code: "for (let i = 0; i < n; i++) {}", closed: true },
      { type: "text", text: "That is all." },
    ]);
  });

  it("shows a block still being streamed as open, and keeps a shorter fence inside a longer one", () => {
    expect(splitAnswer("Fix:\n```js\nconst a = 1;\n")).toEqual([
      { type: "text", text: "Fix:" },
      { type: "code", language: "js", code: "const a = 1;\n", closed: false },
    ]);
    expect(splitAnswer("````md\n```\ninner\n```\n````")).toEqual([{ type: "code", language: "md", code: "```\ninner\n```", closed: true }]);
  });

  it("does not take inline triple backticks for a fence", () => {
    expect(splitAnswer("Use ```x``` sparingly.")).toEqual([{ type: "text", text: "Use ```x``` sparingly." }]);
  });
});

describe("singleCodeBlock", () => {
  it("answers the code only when there is exactly one complete block", () => {
    expect(singleCodeBlock("Here:\n```ts\nlet x = 1;\n```\nDone.")).toBe("let x = 1;");
    expect(singleCodeBlock("no code")).toBeNull();
    expect(singleCodeBlock("```a\n1\n```\n```b\n2\n```")).toBeNull();
    expect(singleCodeBlock("```a\nstill writing")).toBeNull();
  });
});

describe("replaceSelection", () => {
  const file = "const a = 1;\nconst b = 2;\nconst a = 1;\n";
  it("replaces the selection where it starts, not an earlier copy", () => {
    expect(replaceSelection(file, { text: "const a = 1;", startLine: 3 }, "const c = 3;")).toBe("const a = 1;\nconst b = 2;\nconst c = 3;\n");
    expect(replaceSelection(file, { text: "b = 2", startLine: 2 }, "b = 20")).toBe("const a = 1;\nconst b = 20;\nconst a = 1;\n");
  });
  it("answers null when the selection is gone", () => {
    expect(replaceSelection(file, { text: "const z", startLine: 1 }, "x")).toBeNull();
    expect(replaceSelection(file, { text: "const a = 1;", startLine: 9 }, "x")).toBeNull();
  });
});
