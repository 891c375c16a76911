import { describe, expect, it } from "vitest";
import { changeEstimateLine } from "@/components/run/ChangeEstimate";

/** The line under a change request: its estimate and the files the editor would read, at most five by name. */

describe("changeEstimateLine", () => {
  it("names every file when there are at most five", () => {
    expect(changeEstimateLine({ estimate: 12, likely: 12, files: ["todos.js", "server.js"] })).toBe("About 12 credits · reads 2 files: todos.js, server.js");
  });

  it("names five files, then counts the rest", () => {
    const files = ["a.js", "b.js", "c.js", "d.js", "e.js", "f.js", "g.js"];
    expect(changeEstimateLine({ estimate: 30, likely: 30, files })).toBe("About 30 credits · reads 7 files: a.js, b.js, c.js, d.js, e.js and 2 more");
  });

  it("uses the singular for one credit and one file", () => {
    expect(changeEstimateLine({ estimate: 1, likely: 1, files: ["todos.js"] })).toBe("About 1 credit · reads 1 file: todos.js");
  });

  it("gives what a change costs when its checks pass, and the most it may cost with fixes", () => {
    expect(changeEstimateLine({ estimate: 9, likely: 2, files: ["todos.js"] })).toBe("About 2 credits, at most 9 with fixes · reads 1 file: todos.js");
    expect(changeEstimateLine({ estimate: 9, likely: 1, files: [] })).toBe("About 1 credit, at most 9 with fixes · reads no files");
  });
});
