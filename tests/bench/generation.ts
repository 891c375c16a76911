/**
 * Generation benchmark (not a test): node --import tsx tests/bench/generation.ts [--tps 100] [--runs 3] [--script todo-app|small]
 *
 * Runs whole generations through the route handlers against the scripted
 * LLM server streaming at a fixed token rate, and prints:
 * - wall time vs the DAG's critical path (architect → slowest of backend ∥
 *   frontend → devops → security, from the script's token counts and the
 *   rate): goal ratio ≤ 1.15×;
 * - time from a step's first provider token reaching the app to the browser
 *   receiving that step's first SSE event after it: goal ≤ 100 ms;
 * - per-event overhead: persisting an event (the store's append), and events
 *   per run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { splitIntoTokens, startLlmServer } from "../fixtures/llm-server";
import { TRANSCRIPTS as SMALL_TRANSCRIPTS } from "../integration/generation-script";
import { TRANSCRIPTS as TODO_APP_TRANSCRIPTS } from "../fixtures/llm-server/scripts/todo-app";

const { values } = parseArgs({
  options: {
    tps: { type: "string", default: "100" },
    runs: { type: "string", default: "3" },
    script: { type: "string", default: "todo-app" },
  },
});
/** "todo-app": the llm-server fixture's default script (realistic sizes); "small": the integration test's. */
const TRANSCRIPTS: Record<string, string> = values.script === "small" ? SMALL_TRANSCRIPTS : TODO_APP_TRANSCRIPTS;
const TOKENS_PER_SECOND = Number(values.tps);
const RUNS = Number(values.runs);
const APP_URL = "http://localhost:3000";

const dataDir = mkdtempSync(path.join(tmpdir(), "autocrea-bench-"));
const llm = await startLlmServer({ script: { roles: TRANSCRIPTS }, tokensPerSecond: TOKENS_PER_SECOND });
const env = process.env as Record<string, string | undefined>;
for (const key of ["CONVEX_URL", "CLERK_SECRET_KEY", "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OLLAMA_BASE_URL", "RUNNER_URL"]) {
  delete env[key];
}
Object.assign(env, { NODE_ENV: "test", APP_URL, DATA_DIR: dataDir, JOXCODER_API_URL: llm.url });

const { POST: register } = await import("@/app/api/auth/register/route");
const { POST: createProject } = await import("@/app/api/projects/route");
const { POST: startGeneration } = await import("@/app/api/generations/route");
const { GET: eventsRoute } = await import("@/app/api/generations/[runId]/events/route");
const { setGenerationDependenciesForTests } = await import("@/lib/ai/runs/start");
const { streamCompletion } = await import("@/lib/ai/call");
const { getStore } = await import("@/lib/store");
const { resetRateLimitsForTests } = await import("@/lib/rate-limit");

// ---------------------------------------------------------------- instrumentation

/** When each step's first provider token reached the app, by role, for the current run. */
let firstTokenAt = new Map<string, number>();
/** How long each step's provider call took as the app saw it (request to finish), by role. */
let callMs = new Map<string, number>();
setGenerationDependenciesForTests({
  stream: async function* (options) {
    const role = /^ROLE: (\w+)/.exec(options.messages[0].content)?.[1] ?? "?";
    const t0 = performance.now();
    for await (const event of streamCompletion(options)) {
      if (event.type === "text" && !firstTokenAt.has(role)) firstTokenAt.set(role, performance.now());
      if (event.type === "finish") callMs.set(role, (callMs.get(role) ?? 0) + performance.now() - t0);
      yield event;
    }
  },
});

const store = await getStore();
const appendTimes: number[] = [];
const append = store.appendRunEvent.bind(store);
store.appendRunEvent = async (...args) => {
  const t0 = performance.now();
  try {
    return await append(...args);
  } finally {
    appendTimes.push(performance.now() - t0);
  }
};

// ---------------------------------------------------------------- one run

function request(method: string, url: string, cookie: string, body?: unknown): Request {
  return new Request(new URL(url, APP_URL), {
    method,
    headers: { origin: APP_URL, cookie, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function signUp(n: number): Promise<string> {
  const response = await register(
    request("POST", "/api/auth/register", "", { name: `Bench ${n}`, email: `bench-${n}-${Date.now()}@example.com`, password: "correct horse battery" }),
    undefined,
  );
  if (response.status !== 201) throw new Error(`register: ${response.status}`);
  return response.headers.getSetCookie()[0].split(";")[0];
}

interface RunFigures {
  wallMs: number;
  /** The critical path measured from the provider calls as they really streamed (the fixture's timers overshoot). */
  measuredPathMs: number;
  events: number;
  firstEventLatencyMs: Record<string, number>;
}

async function oneRun(n: number): Promise<RunFigures> {
  const cookie = await signUp(n);
  const projectResponse = await createProject(request("POST", "/api/projects", cookie, { name: `Bench ${n}` }), undefined);
  const { project } = await projectResponse.json();
  firstTokenAt = new Map();
  callMs = new Map();
  const sseReceivedAt = new Map<string, number>();

  const t0 = performance.now();
  const started = await startGeneration(request("POST", "/api/generations", cookie, { projectId: project.id, prompt: "Build a todo app" }), undefined);
  if (started.status !== 202) throw new Error(`start: ${started.status} ${await started.text()}`);
  const { runId } = await started.json();
  const response = await eventsRoute(request("GET", `/api/generations/${runId}/events`, cookie), {
    params: Promise.resolve({ runId }),
  });

  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let events = 0;
  let last = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const at = performance.now();
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!data) continue;
      const event = JSON.parse(data) as { type: string; role?: string };
      events += 1;
      last = event.type;
      // The first event of a step after its first token: its progress event.
      if (event.type === "step_progress" && event.role && !sseReceivedAt.has(event.role)) sseReceivedAt.set(event.role, at);
    }
  }
  const wallMs = performance.now() - t0;
  if (last !== "done") throw new Error(`run ended with ${last}`);

  const firstEventLatencyMs: Record<string, number> = {};
  for (const [role, tokenAt] of firstTokenAt) {
    const seen = sseReceivedAt.get(role);
    if (seen !== undefined) firstEventLatencyMs[role] = seen - tokenAt;
  }
  const call = (role: string) => callMs.get(role) ?? 0;
  const measuredPathMs = call("architect") + Math.max(call("backend"), call("frontend")) + call("devops") + call("security");
  return { wallMs, measuredPathMs, events, firstEventLatencyMs };
}

// ---------------------------------------------------------------- report

const stepMs = (role: string) => (splitIntoTokens(TRANSCRIPTS[role]).length * 1000) / TOKENS_PER_SECOND;
const criticalPathMs = stepMs("architect") + Math.max(stepMs("backend"), stepMs("frontend")) + stepMs("devops") + stepMs("security");
const sequentialMs = ["architect", "backend", "frontend", "devops", "security"].reduce((sum, role) => sum + stepMs(role), 0);

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

console.log(
  `Generation benchmark: "${values.script}" script at ${TOKENS_PER_SECOND} tokens/s, ${RUNS} runs, SQLite store, no runner (tester skipped)`,
);
console.log(
  `Critical path (architect → max(backend, frontend) → devops → security): ${fmt(criticalPathMs)}; fully sequential would be ${fmt(sequentialMs)}`,
);

const results: RunFigures[] = [];
try {
  for (let i = 1; i <= RUNS; i++) {
    resetRateLimitsForTests();
    const figures = await oneRun(i);
    results.push(figures);
    const latencies = Object.entries(figures.firstEventLatencyMs)
      .map(([role, ms]) => `${role} ${ms.toFixed(1)}`)
      .join(", ");
    console.log(
      `run ${i}: wall ${fmt(figures.wallMs)}, ratio ${(figures.wallMs / criticalPathMs).toFixed(3)}×; measured chain of provider calls ${fmt(figures.measuredPathMs)} → orchestration overhead ${fmt(figures.wallMs - figures.measuredPathMs)}; ${figures.events} events; first token → first SSE event (ms): ${latencies}`,
    );
  }
  const walls = results.map((r) => r.wallMs);
  const latencies = results.flatMap((r) => Object.values(r.firstEventLatencyMs));
  console.log("");
  console.log(`wall time (median):               ${fmt(median(walls))}  → ratio ${(median(walls) / criticalPathMs).toFixed(3)}× (goal ≤ 1.15×)`);
  const overheads = results.map((r) => r.wallMs - r.measuredPathMs);
  console.log(`orchestration overhead (median):  ${fmt(median(overheads))} = wall − the measured chain of provider calls`);
  console.log(`first token → first SSE event:    median ${fmt(median(latencies))}, max ${fmt(Math.max(...latencies))} (goal ≤ 100 ms)`);
  console.log(
    `per-event overhead (persist):     median ${fmt(median(appendTimes))}, p95 ${fmt(percentile(appendTimes, 0.95))} over ${appendTimes.length} events`,
  );
} finally {
  setGenerationDependenciesForTests();
  await store.close();
  await llm.close();
  rmSync(dataDir, { recursive: true, force: true });
}
