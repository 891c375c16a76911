import { describe, expect, it } from "vitest";
import { buildFixRequest, FIX_DETAIL_LINES, FIX_REQUEST_MAX, untakenFixRequest, useFixRequest } from "@/lib/client/fix-request";

/** "Ask for a fix": the change request built from a run's issues or the crashed app's log. */

describe("buildFixRequest", () => {
  it("asks to fix the summary, with the output in a fenced block", () => {
    const text = buildFixRequest([{ summary: "The tests failed (2 of 5).", detail: "FAIL a.test.ts\nexpected 1 to be 2\n" }]);
    expect(text).toBe("Fix this: The tests failed (2 of 5).\n\n```\nFAIL a.test.ts\nexpected 1 to be 2\n```");
  });

  it("is only the summary when there is no output", () => {
    expect(buildFixRequest([{ summary: "The app exited (code 1).", detail: null }])).toBe("Fix this: The app exited (code 1).");
    expect(buildFixRequest([{ summary: "Lint failed.", detail: "  \n" }])).toBe("Fix this: Lint failed.");
  });

  it("keeps the last lines of a long output", () => {
    const detail = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`).join("\n");
    const text = buildFixRequest([{ summary: "Build failed.", detail }]);
    expect(text).toContain(`line 200\n\`\`\``);
    expect(text).toContain(`…\nline ${200 - FIX_DETAIL_LINES + 1}\n`);
    expect(text).not.toContain(`line ${200 - FIX_DETAIL_LINES}\n`);
  });

  it("stays within the bound, keeping the summaries and the end of each output", () => {
    const huge = `${"x".repeat(50_000)}\n${"y".repeat(30_000)}\nError: the real cause`;
    const text = buildFixRequest([
      { summary: "Tests failed.", detail: huge },
      { summary: "Lint failed.", detail: huge },
    ]);
    expect(text.length).toBeLessThanOrEqual(FIX_REQUEST_MAX);
    expect(text).toContain("Fix this: Tests failed.");
    expect(text).toContain("Fix this: Lint failed.");
    expect(text.match(/Error: the real cause/g)).toHaveLength(2);
    expect(text.trimEnd().endsWith("```")).toBe(true);
  });

  it("bounds many issues and a very long summary too", () => {
    const issues = Array.from({ length: 50 }, (_, i) => ({ summary: `Issue ${i} ${"s".repeat(1000)}`, detail: "out\n".repeat(100) }));
    expect(buildFixRequest(issues).length).toBeLessThanOrEqual(FIX_REQUEST_MAX);
  });

  it("uses a fence the output cannot close", () => {
    const text = buildFixRequest([{ summary: "Docs check failed.", detail: "see:\n```js\ncode\n```" }]);
    expect(text).toContain("\n````\nsee:\n```js\ncode\n```\n````");
  });
});

describe("useFixRequest", () => {
  it("hands each request to the change form once", () => {
    useFixRequest.getState().ask("Fix this: a");
    const first = untakenFixRequest(useFixRequest.getState());
    expect(first?.text).toBe("Fix this: a");
    useFixRequest.getState().take(first!.id);
    expect(untakenFixRequest(useFixRequest.getState())).toBeNull();
    useFixRequest.getState().ask("Fix this: b");
    expect(untakenFixRequest(useFixRequest.getState())?.text).toBe("Fix this: b");
  });
});
