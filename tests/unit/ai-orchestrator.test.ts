import { afterEach, describe, expect, it } from "vitest";
import { CallFailedError } from "@/lib/ai/call";
import { NO_RUNNER_REASON } from "@/lib/ai/runs/pipeline";
import { launchRun } from "@/lib/ai/runs/execute";
import type { StreamFn } from "@/lib/ai/runs/run-scope";
import type { CallAttempt, CallEvent, ChatMessage, ProviderCandidate, RoleName, RunEvent, Usage } from "@/lib/ai/types";
import type { RunnerClient } from "@/lib/sandbox/client";
import type { RunResult } from "@/lib/sandbox/types";
import { createSqliteStore } from "@/lib/store/sqlite";
import type { Project, Store, User } from "@/lib/store/types";

/**
 * The run's DAG against a scripted stream (no HTTP): which steps run, in
 * what order, what they write, what they cost, and how the run ends.
 */

const CANDIDATES: ProviderCandidate[] = [{ provider: "joxcoder", model: "joxcoder", source: "platform" }];
/** joxcoder: 100 milli-credits per 1K input tokens, 400 per 1K output → this usage costs exactly 1 credit. */
const ONE_CREDIT: Usage = { inputTokens: 2_000, outputTokens: 2_000 };

const PLAN = {
  name: "Todo",
  summary: "A todo list.",
  stack: ["node", "react"],
  files: [
    { path: "server/index.js", purpose: "API", role: "backend" },
    { path: "web/App.jsx", purpose: "UI", role: "frontend" },
  ],
  dataModel: [{ name: "Todo", fields: ["id: string", "title: string"] }],
  api: [{ method: "GET", path: "/api/todos", description: "List todos" }],
  components: [{ name: "TodoList", purpose: "Shows todos" }],
};

interface Call {
  role: RoleName;
  messages: ChatMessage[];
}

/** One scripted answer: text chunks, the usage reported, or a failure after the chunks. */
interface Answer {
  chunks: string[];
  usage?: Usage;
  /** After the chunks the provider fails (a cut stream) and no other provider is left. */
  cut?: boolean;
  /** Waits before finishing (for concurrency checks). */
  before?: () => Promise<void>;
  /** The finish reason the provider gave ("stop": the answer ended normally). */
  finishReason?: string;
  /** The provider reported no usage: `usage` is the call layer's estimate. */
  usageEstimated?: boolean;
}

type Script = (call: Call, index: number) => Answer;

const defaultAnswers: Record<RoleName, Answer> = {
  architect: { chunks: [JSON.stringify(PLAN)] },
  backend: { chunks: ['Server.\n<file path="server/index.js">', "const x = 1;\n", "</file>"] },
  frontend: { chunks: ['<file path="web/App.jsx">export default function App() { return null; }\n</file>'] },
  devops: { chunks: ['<file path="package.json">{"scripts":{"test":"node --test"}}\n</file>'] },
  security: { chunks: ["Nothing to fix."] },
  tester: { chunks: ['<file path="test/app.test.js">test\n</file><command>npm test</command>'] },
  fixer: { chunks: ['<edit path="server/index.js"><search>const x = 1;</search><replace>const x = 2;</replace></edit>'] },
  editor: { chunks: ['Raised x.\n<edit path="server/index.js"><search>const x = 1;</search><replace>const x = 3;</replace></edit>'] },
};

const roleOf = (messages: ChatMessage[]) => /^ROLE: (\w+)/.exec(messages[0].content)![1] as RoleName;
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

function scriptedStream(script: Script = () => undefined as never, calls: Call[] = []): StreamFn {
  return async function* (options): AsyncGenerator<CallEvent> {
    const call = { role: roleOf(options.messages), messages: options.messages };
    calls.push(call);
    const answer = script(call, calls.filter((c) => c.role === call.role).length - 1) ?? defaultAnswers[call.role];
    const attempt = (ok: boolean, error?: string): CallAttempt => ({
      ...CANDIDATES[0],
      ok,
      error,
      usage: answer.usage ?? ONE_CREDIT,
    });
    for (const text of answer.chunks) {
      await tick();
      if (options.signal?.aborted) {
        const aborted = { ...attempt(false, "aborted"), usage: { inputTokens: 0, outputTokens: 0 } };
        yield { type: "attempt_failed", attempt: aborted };
        throw new CallFailedError([aborted], true);
      }
      yield { type: "text", text };
    }
    await answer.before?.();
    if (answer.cut) {
      const failed = attempt(false, "malformed_stream: cut");
      yield { type: "attempt_failed", attempt: failed };
      throw new CallFailedError([failed], false);
    }
    yield {
      type: "finish",
      attempt: { ...attempt(true), finishReason: answer.finishReason, ...(answer.usageEstimated ? { usageEstimated: true } : {}) },
    };
  };
}

let store: Store;
let user: User;
let project: Project;

async function setup(initialFiles: { path: string; content: string }[] = []) {
  store = await createSqliteStore(":memory:");
  ({ user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" }));
  project = await store.createProject(user.id, { name: "App" });
  if (initialFiles.length) await store.saveFiles(user.id, project.id, { files: initialFiles, message: "start" });
}

afterEach(async () => {
  await store?.close();
});

interface RunOptions {
  /** A change request instead of a generation. */
  change?: { request: string; about: string };
  reserve?: number;
  runner?: RunnerClient | null;
  onStart?: (controller: AbortController) => void;
}

async function runOnce(stream: StreamFn, { reserve = 50, runner = null, onStart, change }: RunOptions = {}) {
  const reserved = await store.reserveCredits(user.id, reserve, `run-${Math.random()}`);
  if (!reserved.ok) throw new Error("reservation refused");
  const run = await store.createRun(user.id, { projectId: project.id, reservationId: reserved.reservation.id, cap: reserve, estimate: reserve });
  const live = launchRun({ store, userId: user.id, run, prompt: "A todo app", candidates: CANDIDATES, stream, runner, maxFixerPasses: 2, change });
  onStart?.(live.controller);
  await live.finished;
  const events = (await store.listRunEvents(user.id, run.id)).map((e) => e.event);
  return { run, events, steps: await store.listGenerationSteps(user.id, run.id) };
}

const index = (events: RunEvent[], predicate: (e: RunEvent) => boolean) => {
  const i = events.findIndex(predicate);
  expect(i, "event not found").toBeGreaterThanOrEqual(0);
  return i;
};
const started = (role: RoleName) => (e: RunEvent) => e.type === "step_started" && e.role === role;
const finished = (role: RoleName) => (e: RunEvent) => e.type === "step_finished" && e.role === role;

describe("the run's DAG", () => {
  it("runs architect → backend ∥ frontend → devops → security, skips the tester without a runner, and saves a version", async () => {
    await setup();
    // Backend may not finish before frontend's request has arrived: only true concurrency gets past this.
    let frontendAsked!: () => void;
    const frontendStarted = new Promise<void>((resolve) => (frontendAsked = resolve));
    const calls: Call[] = [];
    const stream = scriptedStream((call) => {
      if (call.role === "frontend") frontendAsked();
      if (call.role === "backend") {
        return {
          ...defaultAnswers.backend,
          before: () => Promise.race([frontendStarted, new Promise<void>((resolve) => setTimeout(resolve, 2_000))]),
        };
      }
      return defaultAnswers[call.role];
    }, calls);

    const { events, steps } = await runOnce(stream);

    const bStart = index(events, started("backend"));
    const fStart = index(events, started("frontend"));
    const bEnd = index(events, finished("backend"));
    const fEnd = index(events, finished("frontend"));
    expect(Math.max(bStart, fStart)).toBeLessThan(Math.min(bEnd, fEnd));
    expect(index(events, finished("architect"))).toBeLessThan(Math.min(bStart, fStart));
    expect(index(events, started("devops"))).toBeGreaterThan(Math.max(bEnd, fEnd));
    expect(index(events, started("security"))).toBeGreaterThan(index(events, finished("devops")));

    expect(steps.map((s) => [s.role, s.status])).toEqual(
      expect.arrayContaining([
        ["architect", "succeeded"],
        ["backend", "succeeded"],
        ["frontend", "succeeded"],
        ["devops", "succeeded"],
        ["security", "succeeded"],
        ["tester", "skipped"],
      ]),
    );
    expect(steps).toHaveLength(6);
    expect(steps.find((s) => s.role === "tester")?.output).toBe(NO_RUNNER_REASON);
    expect(events.find(finished("tester"))).toMatchObject({ status: "skipped", reason: NO_RUNNER_REASON });
    expect(calls.map((c) => c.role)).not.toContain("tester");

    // Both builders read the API contract.
    for (const role of ["backend", "frontend"] as const) {
      expect(calls.find((c) => c.role === role)!.messages[1].content).toContain("GET /api/todos — List todos");
    }

    const files = await store.listFiles(user.id, project.id);
    expect(files.map((f) => f.path).sort()).toEqual(["package.json", "server/index.js", "web/App.jsx"]);
    const last = events.at(-1)!;
    // Every planned file exists, but no check ran: that is not a clean completion.
    expect(last).toMatchObject({
      type: "done",
      status: "completed_with_issues",
      spent: 5,
      refunded: 45,
      version: 1,
      issues: [{ summary: NO_RUNNER_REASON }],
    });
    expect(events[0]).toMatchObject({ type: "run_started", reserved: 50 });
    expect((await store.getProject(user.id, project.id))?.status).toBe("completed_with_issues");
    expect((await store.listVersions(user.id, project.id))[0]?.message).toBe("Generated with issues: A todo app");
    expect(await store.getBalance(user.id)).toBe(100 - 5);
  });

  it("emits file events as the files close and a meter after each charge", async () => {
    await setup();
    const { events } = await runOnce(scriptedStream());
    const written = events.filter((e) => e.type === "file_written");
    expect(written).toEqual(
      expect.arrayContaining([{ type: "file_written", role: "backend", path: "server/index.js", size: 13 }]),
    );
    const meters = events.filter((e) => e.type === "meter");
    expect(meters.map((m) => m.type === "meter" && m.spent)).toEqual([1, 2, 3, 4, 5]);
    // The backend's file event comes before the backend step's end.
    expect(index(events, (e) => e.type === "file_written" && e.path === "server/index.js")).toBeLessThan(
      index(events, finished("backend")),
    );
  });
});

describe("edits", () => {
  it("an edit that does not match is reported back to the role, which gets one retry", async () => {
    await setup([{ path: "server/index.js", content: "const a = 1;\nconst b = 2;\n" }]);
    const calls: Call[] = [];
    const stream = scriptedStream((call, n) => {
      if (call.role !== "backend") return defaultAnswers[call.role];
      if (n === 0) {
        return { chunks: ['<edit path="server/index.js"><search>const a = 10;</search><replace>const a = 3;</replace></edit>'] };
      }
      return { chunks: ['<edit path="server/index.js"><search>const a = 1;</search><replace>const a = 3;</replace></edit>'] };
    }, calls);

    const { events, steps } = await runOnce(stream);

    const backendCalls = calls.filter((c) => c.role === "backend");
    expect(backendCalls).toHaveLength(2);
    const retry = backendCalls[1].messages;
    expect(retry.at(-2)?.role).toBe("assistant");
    expect(retry.at(-1)?.content).toContain("could not be applied");
    expect(retry.at(-1)?.content).toContain("server/index.js");
    expect(retry.at(-1)?.content).toContain("const b = 2;"); // the current content, to copy from

    expect((await store.getFile(user.id, project.id, "server/index.js"))?.content).toBe("const a = 3;\nconst b = 2;\n");
    expect(events).toContainEqual({ type: "file_edited", role: "backend", path: "server/index.js" });
    const backend = steps.find((s) => s.role === "backend")!;
    expect(backend).toMatchObject({ status: "succeeded", error: null, credits: 2 });
  });

  it("a second failure is recorded on the step, without a third try", async () => {
    await setup([{ path: "server/index.js", content: "x\nx\n" }]);
    const calls: Call[] = [];
    const stream = scriptedStream(
      (call) =>
        call.role === "backend"
          ? { chunks: ['<edit path="server/index.js"><search>x</search><replace>y</replace></edit>'] }
          : defaultAnswers[call.role],
      calls,
    );
    const { steps, events } = await runOnce(stream);
    expect(calls.filter((c) => c.role === "backend")).toHaveLength(2);
    expect(steps.find((s) => s.role === "backend")?.error).toMatch(/server\/index\.js/);
    expect(events.some((e) => e.type === "log" && e.level === "error" && e.role === "backend")).toBe(true);
    expect((await store.getFile(user.id, project.id, "server/index.js"))?.content).toBe("x\nx\n");
  });
});

describe("limits and failures", () => {
  it("stops at the hard cap: nothing past the reservation is spent and later steps do not run", async () => {
    await setup();
    const expensive: Usage = { inputTokens: 10_000, outputTokens: 20_000 }; // 9 credits per call
    const calls: Call[] = [];
    const stream = scriptedStream((call) => ({ ...defaultAnswers[call.role], usage: expensive }), calls);

    const { events, run } = await runOnce(stream, { reserve: 12 });

    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: "failed", status: "failed", spent: 12, refunded: 0 });
    expect(last.type === "failed" && last.error).toMatch(/credit cap \(12 credits\)/);
    expect(calls.map((c) => c.role)).not.toContain("devops");
    expect(events.some(started("devops"))).toBe(false);
    expect(await store.getBalance(user.id)).toBe(100 - 12);
    expect((await store.getReservation(run.reservationId))?.spent).toBe(12);
    expect((await store.getRun(user.id, run.id))?.status).toBe("failed");
  });

  it("a stream cut mid-file keeps the files closed before the cut and charges only reported usage", async () => {
    await setup();
    const stream = scriptedStream((call) =>
      call.role === "backend"
        ? {
            chunks: ['<file path="server/a.js">a\n</file>', '<file path="server/b.js">half of b'],
            usage: { inputTokens: 0, outputTokens: 0 },
            cut: true,
          }
        : defaultAnswers[call.role],
    );
    const { events, steps } = await runOnce(stream);

    expect(events.at(-1)).toMatchObject({ type: "failed", status: "failed", spent: 2 });
    const paths = (await store.listFiles(user.id, project.id)).map((f) => f.path).sort();
    expect(paths).toContain("server/a.js");
    expect(paths).not.toContain("server/b.js");
    expect(steps.find((s) => s.role === "backend")).toMatchObject({ status: "failed", credits: 0 });
    expect((await store.getProject(user.id, project.id))?.status).toBe("failed");
    expect((await store.listVersions(user.id, project.id))[0].message).toMatch(/Partial/);
  });

  it("cancel stops the run, keeps what was written and refunds the rest", async () => {
    await setup();
    let controller!: AbortController;
    const stream = scriptedStream((call) => {
      if (call.role === "frontend") {
        return { chunks: ['<file path="web/App.jsx">x</file>', ...Array(50).fill("."), "end"] };
      }
      if (call.role === "backend") {
        return { ...defaultAnswers.backend, before: async () => void controller.abort("canceled") };
      }
      return defaultAnswers[call.role];
    });
    const { events, run } = await runOnce(stream, { onStart: (c) => (controller = c) });

    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: "failed", status: "canceled", error: "The run was canceled." });
    expect(events.some(started("devops"))).toBe(false);
    expect((await store.getRun(user.id, run.id))?.status).toBe("canceled");
    const reservation = (await store.getReservation(run.reservationId))!;
    expect(reservation.status).toBe("settled");
    expect(await store.getBalance(user.id)).toBe(100 - reservation.spent);
    expect((await store.listFiles(user.id, project.id)).map((f) => f.path)).toContain("server/index.js");
  });
});

describe("tester and fixer with a runner", () => {
  function fakeRunner(results: (command: string, files: Map<string, string>) => RunResult) {
    const files = new Map<string, string>();
    const commands: string[] = [];
    let deleted = false;
    const runner = {
      createSession: async () => ({ id: "s1" }),
      writeFiles: async (_id: string, written: { path: string; content: string }[], deletes: string[] = []) => {
        for (const f of written) files.set(f.path, f.content);
        for (const d of deletes) files.delete(d);
      },
      runCommand: async (_id: string, request: { command?: string }) => {
        commands.push(request.command!);
        return results(request.command!, files);
      },
      deleteSession: async () => void (deleted = true),
    } as unknown as RunnerClient;
    return { runner, files, commands, wasDeleted: () => deleted };
  }

  const result = (exitCode: number, stderr = "", stdout = ""): RunResult => ({
    stdout,
    stderr,
    exitCode,
    signal: null,
    status: exitCode === 0 ? "OK" : "RE",
    wallMs: 5,
    cpuMs: 1,
    memoryBytes: 0,
    truncated: false,
    message: "",
  });

  it("runs the tester's commands in a session and loops the fixer until they pass", async () => {
    await setup();
    const calls: Call[] = [];
    const fake = fakeRunner((_command, files) =>
      files.get("server/index.js")?.includes("x = 2") ? result(0, "", "# tests 1\n# pass 1\n") : result(1, "AssertionError: expected 2"),
    );
    const { events, steps } = await runOnce(scriptedStream(undefined, calls), { runner: fake.runner });

    expect(fake.commands).toEqual(["npm test", "npm test"]);
    expect(steps.map((s) => s.role)).toEqual(["architect", "backend", "frontend", "devops", "security", "tester", "fixer"]);
    const fixer = calls.find((c) => c.role === "fixer")!;
    expect(fixer.messages[1].content).toContain("AssertionError: expected 2");
    expect(fake.files.get("test/app.test.js")).toBe("test\n");
    expect(fake.wasDeleted()).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "done", status: "completed", issues: [] });
    expect(events).toContainEqual({ type: "log", role: "tester", level: "info", message: "Every check passed (1 test ran)." });
    expect((await store.getFile(user.id, project.id, "server/index.js"))?.content).toBe("const x = 2;\n");
    expect((await store.getProject(user.id, project.id))?.status).toBe("completed");
  });

  it("checks that pass having run 0 tests go to the fixer, and end with issues if it cannot add one", async () => {
    await setup();
    const calls: Call[] = [];
    const fake = fakeRunner(() => result(0, "", "1..0\n# tests 0\n# pass 0\n"));
    const { events } = await runOnce(
      scriptedStream((call) => (call.role === "fixer" ? { chunks: ["No idea."] } : defaultAnswers[call.role]), calls),
      { runner: fake.runner },
    );
    expect(calls.filter((c) => c.role === "fixer")).toHaveLength(2);
    expect(calls.find((c) => c.role === "fixer")!.messages[1].content).toContain("executed 0 tests");
    expect(events.at(-1)).toMatchObject({
      type: "done",
      status: "completed_with_issues",
      issues: [{ summary: '"npm test" still runs no test after 2 fixer passes.', detail: expect.stringContaining("# tests 0") }],
    });
  });

  it("checks whose output reports no test at all end with issues, without the fixer", async () => {
    await setup();
    const calls: Call[] = [];
    const fake = fakeRunner(() => result(0, "", "all good\n"));
    const { events } = await runOnce(scriptedStream(undefined, calls), { runner: fake.runner });
    expect(calls.filter((c) => c.role === "fixer")).toHaveLength(0);
    expect(events.at(-1)).toMatchObject({ type: "done", status: "completed_with_issues", issues: [{ summary: expect.stringMatching(/none of them ran a test/) }] });
  });

  it("the fixer loop is bounded", async () => {
    await setup();
    const calls: Call[] = [];
    const fake = fakeRunner(() => result(1, "still broken"));
    const { events } = await runOnce(
      scriptedStream((call) => (call.role === "fixer" ? { chunks: ["No idea."] } : defaultAnswers[call.role]), calls),
      { runner: fake.runner },
    );
    expect(calls.filter((c) => c.role === "fixer")).toHaveLength(2);
    expect(fake.commands).toHaveLength(3);
    expect(events.some((e) => e.type === "log" && e.level === "error" && /still fails after 2 fixer passes/.test(e.message))).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "done",
      status: "completed_with_issues",
      issues: [{ summary: '"npm test" still fails after 2 fixer passes (exit 1, RE).', detail: "still broken" }],
    });
    expect((await store.getProject(user.id, project.id))?.status).toBe("completed_with_issues");
  });
});

describe("cancel", () => {
  const passing: RunResult = {
    stdout: "",
    stderr: "",
    exitCode: 0,
    signal: null,
    status: "OK",
    wallMs: 5,
    cpuMs: 1,
    memoryBytes: 0,
    truncated: false,
    message: "",
  };

  it("a cancel while the tester's commands run ends the run canceled, not completed, and runs no further command", async () => {
    await setup();
    let controller!: AbortController;
    const commands: string[] = [];
    const runner = {
      createSession: async () => ({ id: "s1" }),
      writeFiles: async () => {},
      runCommand: async (_id: string, request: { command?: string }) => {
        commands.push(request.command!);
        // The user cancels while the first command runs; it still passes.
        controller.abort("canceled");
        return passing;
      },
      deleteSession: async () => {},
    } as unknown as RunnerClient;
    const stream = scriptedStream((call) =>
      call.role === "tester"
        ? { chunks: ['<file path="test/a.test.js">t\n</file><command>npm test</command><command>npm run lint</command>'] }
        : defaultAnswers[call.role],
    );
    const { events, run, steps } = await runOnce(stream, { runner, onStart: (c) => (controller = c) });

    expect(commands).toEqual(["npm test"]);
    expect(events.some((e) => e.type === "log" && /Every check passed/.test(e.message))).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: "failed", status: "canceled", error: "The run was canceled." });
    expect(steps.every((s) => s.status !== "running")).toBe(true);
    expect((await store.getRun(user.id, run.id))?.status).toBe("canceled");
    const reservation = (await store.getReservation(run.reservationId))!;
    expect(reservation.status).toBe("settled");
    expect(await store.getBalance(user.id)).toBe(100 - reservation.spent);
  });

  it("a cancel while the runner is unreachable is still a cancel", async () => {
    await setup();
    let controller!: AbortController;
    const runner = {
      createSession: async () => ({ id: "s1" }),
      writeFiles: async () => {},
      runCommand: async () => {
        controller.abort("canceled");
        throw new Error("connection reset");
      },
      deleteSession: async () => {},
    } as unknown as RunnerClient;
    const { events, run } = await runOnce(scriptedStream(), { runner, onStart: (c) => (controller = c) });

    expect(events.at(-1)).toMatchObject({ type: "failed", status: "canceled" });
    expect((await store.getRun(user.id, run.id))?.status).toBe("canceled");
  });

  it("after a cancel in the parallel stage no later step starts and the builder still writing ends canceled", async () => {
    await setup();
    let controller!: AbortController;
    const stream = scriptedStream((call) =>
      call.role === "backend"
        ? { chunks: ['<file path="server/a.js">', ...Array(40).fill("x"), "</file>"] }
        : call.role === "frontend"
          ? { ...defaultAnswers.frontend, before: async () => void controller.abort("canceled") }
          : defaultAnswers[call.role],
    );
    const { events, steps } = await runOnce(stream, { onStart: (c) => (controller = c) });

    const cancelAt = index(events, finished("frontend"));
    expect(events.slice(cancelAt).some((e) => e.type === "step_started")).toBe(false);
    expect(steps.map((s) => [s.role, s.status])).toEqual([
      ["architect", "succeeded"],
      ["backend", "canceled"],
      ["frontend", "succeeded"],
    ]);
    expect(events.at(-1)).toMatchObject({ type: "failed", status: "canceled" });
  });
});

describe("files the plan gives a role", () => {
  it("a builder that answers in prose is asked once more, by name, and what it then writes is kept", async () => {
    await setup();
    const calls: Call[] = [];
    const { events } = await runOnce(
      scriptedStream((call, nth) => (call.role === "backend" && nth === 0 ? { chunks: ["Sure! Here is how I would build the server…"] } : defaultAnswers[call.role]), calls),
    );
    const backendCalls = calls.filter((c) => c.role === "backend");
    expect(backendCalls).toHaveLength(2);
    expect(backendCalls[1].messages.at(-1)!.content).toContain("your answer did not write them: server/index.js");
    expect(events).toContainEqual({
      type: "log",
      role: "backend",
      level: "warn",
      message: "backend did not write server/index.js, which the plan gives it; asking once more.",
    });
    expect((await store.getFile(user.id, project.id, "server/index.js"))?.content).toBe("const x = 1;\n");
    // Only the missing runner keeps it from completing.
    expect(events.at(-1)).toMatchObject({ type: "done", status: "completed_with_issues", issues: [{ summary: NO_RUNNER_REASON }] });
  });

  it("a planned file still missing after the retry is named in the run's issues", async () => {
    await setup();
    const calls: Call[] = [];
    const { events, run } = await runOnce(scriptedStream((call) => (call.role === "frontend" ? { chunks: ["I would use React."] } : defaultAnswers[call.role]), calls));
    expect(calls.filter((c) => c.role === "frontend")).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({
      type: "done",
      status: "completed_with_issues",
      issues: [{ summary: "A planned file was never written: web/App.jsx." }, { summary: NO_RUNNER_REASON }],
    });
    expect(await store.getRun(user.id, run.id)).toMatchObject({
      status: "completed_with_issues",
      error: `A planned file was never written: web/App.jsx. ${NO_RUNNER_REASON}`,
    });
  });
});

describe("a project that already has files", () => {
  it("builders are shown the files and told to change them with edits, not rewrites", async () => {
    await setup([{ path: "server/index.js", content: "const x = 1;\n" }]);
    const calls: Call[] = [];
    await runOnce(scriptedStream(undefined, calls));
    for (const role of ["backend", "frontend", "devops", "security"] as const) {
      const user = calls.find((c) => c.role === role)!.messages[1].content;
      expect(user, role).toContain('<file path="server/index.js">\nconst x = 1;\n');
      expect(user, role).toContain("These files exist already. To change part of one, use <edit>");
    }
  });
});

describe("what models really write", () => {
  const only = (role: RoleName, answer: Answer): Script => (call) => (call.role === role ? answer : defaultAnswers[call.role]);
  const warnings = (events: RunEvent[], role: RoleName) =>
    events.filter((e): e is Extract<RunEvent, { type: "log" }> => e.type === "log" && e.role === role && e.level === "warn").map((e) => e.message);

  it("a code fence inside a file is removed from the saved file, and the run says so", async () => {
    await setup();
    const { events } = await runOnce(
      scriptedStream(only("backend", { chunks: ['<file path="server/index.js">\n```javascript\nconst x = 1;\n```\n</file>'] })),
    );
    expect((await store.getFile(user.id, project.id, "server/index.js"))?.content).toBe("const x = 1;\n");
    expect(warnings(events, "backend")).toEqual([expect.stringMatching(/code fence around server\/index\.js was removed/)]);
  });

  it("an unclosed last file is kept when the answer ended normally", async () => {
    await setup();
    const { events } = await runOnce(scriptedStream(only("backend", { chunks: ['<file path="server/index.js">const x = 1;\n'], finishReason: "stop" })));
    expect((await store.getFile(user.id, project.id, "server/index.js"))?.content).toBe("const x = 1;\n");
    expect(warnings(events, "backend")).toEqual([expect.stringMatching(/server\/index\.js was not closed, but the answer ended normally/)]);
  });

  it("an unclosed last file is dropped when the answer stopped at its length limit", async () => {
    await setup();
    const calls: Call[] = [];
    const { events } = await runOnce(
      scriptedStream((call) => (call.role === "backend" ? { chunks: ['<file path="server/index.js">const x = 1;\n'], finishReason: "length" } : defaultAnswers[call.role]), calls),
    );
    expect(await store.getFile(user.id, project.id, "server/index.js")).toBeNull();
    expect(warnings(events, "backend")[0]).toMatch(/<file path="server\/index\.js"> was not closed: the output was cut off/);
    // Asked again by name, it ends the same way: the run names the missing file.
    expect(calls.filter((c) => c.role === "backend")).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ status: "completed_with_issues", issues: expect.arrayContaining([{ summary: "A planned file was never written: server/index.js." }]) });
  });

  it("a file left open before the next file ends there: both are saved", async () => {
    await setup();
    const { events } = await runOnce(
      scriptedStream(only("frontend", { chunks: ['<file path="web/App.jsx">export default function App() {}\n<file path="web/extra.js">', "export const extra = 1;\n</file>"] })),
    );
    expect((await store.getFile(user.id, project.id, "web/App.jsx"))?.content).toBe("export default function App() {}\n");
    expect((await store.getFile(user.id, project.id, "web/extra.js"))?.content).toBe("export const extra = 1;\n");
    expect(warnings(events, "frontend")).toEqual([expect.stringMatching(/web\/App\.jsx was not closed; it was saved up to where <file path="web\/extra\.js"> begins/)]);
  });

  it("usage the provider never reported is charged from the estimate and marked so", async () => {
    await setup();
    const { events, steps } = await runOnce(scriptedStream(only("backend", { ...defaultAnswers.backend, usage: ONE_CREDIT, usageEstimated: true })));
    expect(events.find(finished("backend"))).toMatchObject({ usageEstimated: true, inputTokens: ONE_CREDIT.inputTokens });
    expect(events.find(finished("frontend"))).not.toHaveProperty("usageEstimated");
    expect(steps.reduce((n, step) => n + step.credits, 0)).toBe(5);
  });
});

describe("a change request", () => {
  const PROJECT = [
    { path: "server/index.js", content: "const x = 1;\n" },
    { path: "web/App.jsx", content: "export default function App() { return null; }\n" },
    { path: "README.md", content: "# Todo\n" },
  ];

  it("runs one editor step over the files the request is about, not the pipeline, and saves a change version", async () => {
    await setup(PROJECT);
    const calls: Call[] = [];
    const { events, steps } = await runOnce(scriptedStream(undefined, calls), { change: { request: "Set x in the server to 3", about: "A todo app" } });
    expect(calls.map((c) => c.role)).toEqual(["editor"]);
    expect(steps.map((s) => s.role)).toEqual(["editor"]);
    const editorInput = calls[0].messages[1].content;
    expect(editorInput).toContain('<file path="server/index.js">\nconst x = 1;\n\n</file>');
    expect(editorInput).toContain("- web/App.jsx (");
    expect(editorInput).not.toContain("export default function App()");
    expect(events[0]).toMatchObject({ type: "run_started", kind: "change", request: "Set x in the server to 3" });
    expect((await store.getFile(user.id, project.id, "server/index.js"))?.content).toBe("const x = 3;\n");
    expect((await store.listVersions(user.id, project.id))[0]?.message).toBe("Change with issues: Set x in the server to 3");
    expect(events.at(-1)).toMatchObject({ type: "done", status: "completed_with_issues", issues: [{ summary: NO_RUNNER_REASON }] });
  });

  it("runs the project's own checks with the fixer loop, and completes when they pass with a test", async () => {
    await setup([...PROJECT, { path: "package.json", content: '{"scripts":{"test":"node --test"}}\n' }]);
    const commands: string[] = [];
    const runner = {
      createSession: async () => ({ id: "s1" }),
      writeFiles: async () => {},
      runCommand: async (_id: string, request: { command?: string }) => {
        commands.push(request.command!);
        const ok = commands.length > 1;
        return { stdout: ok ? "# tests 2\n" : "", stderr: ok ? "" : "AssertionError", exitCode: ok ? 0 : 1, signal: null, status: ok ? "OK" : "RE", wallMs: 1, cpuMs: 1, memoryBytes: 0, truncated: false, message: "" };
      },
      deleteSession: async () => {},
    } as unknown as RunnerClient;
    const calls: Call[] = [];
    const fixer = { chunks: ['<edit path="server/index.js"><search>const x = 3;</search><replace>const x = 3; // checked\n</replace></edit>'] };
    const { events } = await runOnce(scriptedStream((call) => (call.role === "fixer" ? fixer : defaultAnswers[call.role]), calls), {
      runner,
      change: { request: "Set x in the server to 3", about: "A todo app" },
    });
    expect(commands).toEqual(["npm test", "npm test"]);
    expect(calls.map((c) => c.role)).toEqual(["editor", "fixer"]);
    expect(calls[1].messages[1].content).not.toContain("## The plan");
    expect(events.at(-1)).toMatchObject({ type: "done", status: "completed", issues: [] });
    expect((await store.listVersions(user.id, project.id))[0]?.message).toBe("Change: Set x in the server to 3");
  });

  it("an editor that changes nothing ends with that as its issue, quoting what it said", async () => {
    await setup(PROJECT);
    const { events } = await runOnce(
      scriptedStream((call) => (call.role === "editor" ? { chunks: ["This is a whole new app: use Rebuild."] } : defaultAnswers[call.role])),
      { change: { request: "Turn it into a chess game", about: "A todo app" } },
    );
    expect(events.at(-1)).toMatchObject({
      type: "done",
      status: "completed_with_issues",
      version: null,
      issues: [{ summary: 'The editor changed no file: "This is a whole new app: use Rebuild."' }],
    });
  });
});
