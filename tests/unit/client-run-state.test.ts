import { describe, expect, it } from "vitest";
import type { RunEvent } from "@/lib/ai/types";
import { initialRunState, reduceRun, replayRun, roleRows, type SeqEvent } from "@/lib/client/run-state";

/** The run view is a pure function of the run's events (what SSE replays after a reload). */

const seq = (events: RunEvent[]): SeqEvent[] => events.map((event, i) => ({ seq: i + 1, event }));

const started = (stepId: string, role: RoleArg): RunEvent => ({ type: "step_started", stepId, role, model: "joxcoder", provider: "joxcoder" });
type RoleArg = Extract<RunEvent, { type: "step_started" }>["role"];
const finished = (stepId: string, role: RoleArg, credits: number, extra: Partial<Extract<RunEvent, { type: "step_finished" }>> = {}): RunEvent => ({
  type: "step_finished",
  stepId,
  role,
  status: "succeeded",
  credits,
  inputTokens: credits * 1000,
  outputTokens: credits * 500,
  ...extra,
});

const FULL_RUN: RunEvent[] = [
  { type: "run_started", runId: "r1", projectId: "p1", reserved: 13, estimate: 13 },
  started("s1", "architect"),
  { type: "step_progress", stepId: "s1", role: "architect", outputChars: 120 },
  { type: "meter", spent: 1, reserved: 13 },
  finished("s1", "architect", 1),
  { type: "log", role: "architect", level: "info", message: "Plan: todo, 3 files, 2 endpoints." },
  started("s2", "backend"),
  started("s3", "frontend"),
  { type: "file_started", role: "backend", path: "server/index.ts" },
  { type: "file_started", role: "frontend", path: "src/App.tsx" },
  { type: "file_written", role: "backend", path: "server/index.ts", size: 420 },
  { type: "meter", spent: 3, reserved: 13 },
  finished("s2", "backend", 2),
  { type: "file_written", role: "frontend", path: "src/App.tsx", size: 900 },
  { type: "file_edited", role: "frontend", path: "server/index.ts" },
  { type: "meter", spent: 5, reserved: 13 },
  finished("s3", "frontend", 2),
  started("s4", "devops"),
  { type: "log", role: "devops", level: "warn", message: "openai failed (http_5xx); trying the next provider." },
  { type: "file_written", role: "devops", path: "package.json", size: 200 },
  finished("s4", "devops", 1),
  started("s5", "security"),
  { type: "log", role: "security", level: "warn", message: "server/index.ts: a route without an auth check" },
  finished("s5", "security", 1),
  started("s6", "tester"),
  finished("s6", "tester", 0, { status: "skipped", reason: "No code runner is configured." }),
  { type: "meter", spent: 7, reserved: 13 },
  { type: "done", status: "completed", spent: 7, refunded: 6, version: 2 },
];

describe("reduceRun", () => {
  it("builds steps, meter, files, logs and the outcome of a whole run", () => {
    const state = replayRun(seq(FULL_RUN));
    expect(state.status).toBe("completed");
    expect(state.lastSeq).toBe(FULL_RUN.length);
    expect(state.estimate).toBe(13);
    expect(state.reserved).toBe(13);
    expect(state.spent).toBe(7);
    expect(state.steps.map((s) => [s.role, s.status, s.credits])).toEqual([
      ["architect", "succeeded", 1],
      ["backend", "succeeded", 2],
      ["frontend", "succeeded", 2],
      ["devops", "succeeded", 1],
      ["security", "succeeded", 1],
      ["tester", "skipped", 0],
    ]);
    expect(state.steps[0]).toMatchObject({ model: "joxcoder", provider: "joxcoder", inputTokens: 1000, outputTokens: 500, outputChars: 120 });
    expect(state.steps[5].reason).toBe("No code runner is configured.");
    expect(state.files).toEqual([
      { path: "server/index.ts", role: "frontend", activity: "edited" },
      { path: "src/App.tsx", role: "frontend", activity: "written", size: 900 },
      { path: "package.json", role: "devops", activity: "written", size: 200 },
    ]);
    expect(state.logs.map((l) => [l.level, l.role])).toEqual([
      ["info", "architect"],
      ["warn", "devops"],
      ["warn", "security"],
    ]);
    expect(state.outcome).toEqual({ spent: 7, refunded: 6, version: 2, error: null, issues: [] });
    expect(roleRows(state).every((row) => row.kind === "step")).toBe(true);
  });

  it("shows roles not started yet as queued, and the file being written", () => {
    const midway = replayRun(seq(FULL_RUN.slice(0, 10)));
    expect(midway.status).toBe("running");
    expect(midway.steps.map((s) => [s.role, s.status])).toEqual([
      ["architect", "succeeded"],
      ["backend", "running"],
      ["frontend", "running"],
    ]);
    expect(midway.files.map((f) => [f.path, f.activity])).toEqual([
      ["server/index.ts", "writing"],
      ["src/App.tsx", "writing"],
    ]);
    expect(roleRows(midway).filter((r) => r.kind === "queued").map((r) => (r.kind === "queued" ? r.role : ""))).toEqual(["devops", "security", "tester"]);
    expect(midway.outcome).toBeNull();
  });

  it("gives the same state when the events are replayed after a reload, and ignores events seen already", () => {
    const events = seq(FULL_RUN);
    const live = events.reduce(reduceRun, initialRunState);
    const reloaded = replayRun(events);
    expect(reloaded).toEqual(live);

    // A reconnect resumes after Last-Event-ID, but replaying overlapping events changes nothing either.
    const firstTab = replayRun(events.slice(0, 12));
    const resumed = replayRun(events.slice(8), firstTab);
    expect(resumed).toEqual(live);
    expect(reduceRun(live, events[3])).toBe(live);
  });

  it("records a failed run: the failed step, its error in the log, what was spent and refunded", () => {
    const state = replayRun(
      seq([
        { type: "run_started", runId: "r1", projectId: "p1", reserved: 10, estimate: 13 },
        started("s1", "architect"),
        { type: "meter", spent: 2, reserved: 10 },
        finished("s1", "architect", 2, { status: "failed", error: "The architect's plan was not valid." }),
        { type: "failed", status: "failed", spent: 2, refunded: 8, error: "The architect's plan was not valid." },
      ]),
    );
    expect(state.status).toBe("failed");
    expect(state.estimate).toBe(13);
    expect(state.reserved).toBe(10);
    expect(state.steps[0]).toMatchObject({ status: "failed", error: "The architect's plan was not valid." });
    expect(state.logs).toEqual([{ seq: 4, level: "error", role: "architect", message: "architect failed: The architect's plan was not valid." }]);
    expect(state.outcome).toEqual({ spent: 2, refunded: 8, version: null, error: "The architect's plan was not valid.", issues: [] });
    const queued = roleRows(state).filter((r) => r.kind === "queued");
    expect(queued).toHaveLength(5);
    expect(queued.every((r) => r.kind === "queued" && r.runEnded)).toBe(true);
  });

  it("records a canceled run: running steps stop as canceled and half-written files are dropped", () => {
    const state = replayRun(
      seq([
        { type: "run_started", runId: "r1", projectId: "p1", reserved: 13, estimate: 13 },
        started("s1", "architect"),
        finished("s1", "architect", 1),
        started("s2", "backend"),
        started("s3", "frontend"),
        { type: "file_written", role: "backend", path: "server/db.ts", size: 10 },
        { type: "file_started", role: "frontend", path: "src/App.tsx" },
        finished("s2", "backend", 1, { status: "canceled", error: "Canceled." }),
        { type: "failed", status: "canceled", spent: 2, refunded: 11, error: "Canceled." },
      ]),
    );
    expect(state.status).toBe("canceled");
    expect(state.steps.map((s) => [s.role, s.status])).toEqual([
      ["architect", "succeeded"],
      ["backend", "canceled"],
      ["frontend", "canceled"],
    ]);
    expect(state.files).toEqual([{ path: "server/db.ts", role: "backend", activity: "written", size: 10 }]);
    expect(state.outcome).toMatchObject({ spent: 2, refunded: 11, version: null });
  });

  it("records a run that finished with issues, with each issue and its output", () => {
    const issues = [
      { summary: '"npm test" still fails after 2 fixer passes (exit 1, RE).', detail: "AssertionError: expected 2" },
      { summary: "A planned file was never written: web/App.jsx." },
    ];
    const state = replayRun(seq([...FULL_RUN.slice(0, -1), { type: "done", status: "completed_with_issues", spent: 7, refunded: 6, version: 2, issues }]));
    expect(state.status).toBe("completed_with_issues");
    expect(state.outcome).toEqual({ spent: 7, refunded: 6, version: 2, error: null, issues });
  });

  it("bounds the log", () => {
    const events: RunEvent[] = Array.from({ length: 350 }, (_, i) => ({ type: "log", level: "info", message: `line ${i}` }));
    const state = replayRun(seq(events));
    expect(state.logs).toHaveLength(300);
    expect(state.logs[0].message).toBe("line 50");
    expect(state.logs.at(-1)?.message).toBe("line 349");
  });
});
