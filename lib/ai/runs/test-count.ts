/**
 * How many tests a check executed, read from the summary its test runner prints: a run is only
 * `completed` when at least one test ran (docs/runs.md#status), and a runner that found no tests often
 * exits 0. null: no summary this module knows (not a test command, or an unknown runner).
 *
 * Each pattern takes the runner's last summary in the output (watch-free runs print one).
 */

type Reader = (output: string) => number | null;

const lastMatch = (output: string, pattern: RegExp): RegExpExecArray | null => {
  let found: RegExpExecArray | null = null;
  for (const match of output.matchAll(new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`))) {
    found = match as RegExpExecArray;
  }
  return found;
};

const count = (pattern: RegExp): Reader => (output) => {
  const match = lastMatch(output, pattern);
  return match ? Number(match[1]) : null;
};

/** pytest's final line: "==== 2 passed, 1 failed in 0.12s ====", "no tests ran in 0.01s". */
const pytest: Reader = (output) => {
  const match = lastMatch(output, /^=+ (.*?) in [\d.]+s(?: \([^)]*\))? =+\s*$/m);
  if (!match) return null;
  if (/no tests ran/.test(match[1]!)) return 0;
  let total = 0;
  for (const part of match[1]!.matchAll(/(\d+) (passed|failed|xfailed|xpassed|errors?)/g)) total += Number(part[1]);
  return total;
};

/** cargo test: every "test result: ok. 3 passed; 0 failed; …" line, summed (one per test binary). */
const cargo: Reader = (output) => {
  let total: number | null = null;
  for (const match of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    total = (total ?? 0) + Number(match[1]) + Number(match[2]);
  }
  return total;
};

const READERS: Reader[] = [
  // node:test — TAP ("# tests 3") and the spec reporter ("ℹ tests 3").
  count(/^(?:#|ℹ) tests (\d+)\s*$/m),
  // Vitest: " Tests  1 failed | 2 passed (3)"; "No test files found" exits 1 on its own.
  count(/^\s*Tests\s+[^\n]*?\((\d+)\)\s*$/m),
  // Jest: "Tests:       1 failed, 2 passed, 3 total".
  count(/^Tests:\s+[^\n]*?(\d+) total\s*$/m),
  pytest,
  // unittest: "Ran 3 tests in 0.001s".
  count(/^Ran (\d+) tests? in /m),
  cargo,
  // Mocha: "  3 passing (12ms)" (failures print a separate "failing" line).
  (output) => {
    const passing = lastMatch(output, /^\s*(\d+) passing\b/m);
    if (!passing) return null;
    const failing = lastMatch(output, /^\s*(\d+) failing\b/m);
    return Number(passing[1]) + (failing ? Number(failing[1]) : 0);
  },
  // Bun: " 3 pass\n 0 fail".
  (output) => {
    const pass = lastMatch(output, /^\s*(\d+) pass\s*$/m);
    const fail = lastMatch(output, /^\s*(\d+) fail\s*$/m);
    return pass && fail ? Number(pass[1]) + Number(fail[1]) : null;
  },
];

/** Colour and cursor escapes: test runners colour their summaries when FORCE_COLOR or a terminal says so. */
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function testsExecuted(rawOutput: string): number | null {
  const output = rawOutput.replace(ANSI_ESCAPE, "").replace(/\r\n?/g, "\n");
  for (const read of READERS) {
    const found = read(output);
    if (found !== null) return found;
  }
  return null;
}
