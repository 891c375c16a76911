import { describe, expect, it } from "vitest";
import { testsExecuted } from "@/lib/ai/runs/test-count";

describe("testsExecuted reads the test runner's summary", () => {
  it.each([
    ["node:test (TAP)", "TAP version 13\nok 1 - a\n1..2\n# tests 2\n# suites 0\n# pass 2\n# fail 0\n", 2],
    ["node:test with no test files", "1..0\n# tests 0\n# suites 0\n# pass 0\n# fail 0\n", 0],
    ["node:test (spec reporter)", "✔ a (0.5ms)\nℹ tests 3\nℹ suites 0\nℹ pass 3\n", 3],
    ["Vitest", " ✓ src/habits.test.ts (4 tests) 3ms\n\n Test Files  1 passed (1)\n      Tests  4 passed (4)\n   Start at  10:00:00\n", 4],
    ["Vitest with failures", "      Tests  1 failed | 3 passed (4)\n", 4],
    // As Vitest prints it with colours (FORCE_COLOR, or a terminal), and CRLF line ends.
    ["Vitest in colour", "\x1b[2m Test Files \x1b[22m \x1b[1m\x1b[32m1 passed\x1b[39m\x1b[22m\x1b[90m (1)\x1b[39m\r\n\x1b[2m      Tests \x1b[22m \x1b[1m\x1b[32m4 passed\x1b[39m\x1b[22m\x1b[90m (4)\x1b[39m\r\n", 4],
    ["node:test (spec reporter) in colour", "\x1b[34mℹ tests 5\x1b[39m\n\x1b[34mℹ pass 5\x1b[39m\n", 5],
    ["Jest", "Test Suites: 1 passed, 1 total\nTests:       1 failed, 2 passed, 3 total\nSnapshots:   0 total\n", 3],
    ["pytest", "collected 3 items\n\ntest_app.py ...                    [100%]\n\n============================== 3 passed in 0.02s ===============================\n", 3],
    ["pytest with failures", "=========================== 1 failed, 2 passed in 0.05s ============================\n", 3],
    ["pytest with no tests", "============================ no tests ran in 0.01s =============================\n", 0],
    ["unittest", "...\n----------------------------------------------------------------------\nRan 3 tests in 0.001s\n\nOK\n", 3],
    ["unittest with no tests", "\n----------------------------------------------------------------------\nRan 0 tests in 0.000s\n\nNO TESTS RAN\n", 0],
    ["cargo (two binaries)", "test result: ok. 2 passed; 0 failed; 0 ignored\n\ntest result: ok. 1 passed; 1 failed; 0 ignored\n", 4],
    ["Mocha", "  todos\n    ✔ adds\n\n  2 passing (8ms)\n  1 failing\n", 3],
    ["Bun", "test.ts:\n✓ a\n\n 1 pass\n 0 fail\n", 1],
  ])("%s", (_name, output, expected) => {
    expect(testsExecuted(output)).toBe(expected);
  });

  it("is null when no summary is there: an install, a build, an unknown runner", () => {
    expect(testsExecuted("added 69 packages in 3s\n")).toBeNull();
    expect(testsExecuted("vite v6.0.0 building for production...\n✓ built in 1.2s\n")).toBeNull();
    expect(testsExecuted("all good\n")).toBeNull();
    expect(testsExecuted("")).toBeNull();
  });

  it("takes the last summary when a runner printed several", () => {
    expect(testsExecuted("# tests 1\n...\n# tests 5\n")).toBe(5);
  });
});
