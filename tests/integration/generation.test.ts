import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as startRoute } from "@/app/api/generations/route";
import { GET as runRoute } from "@/app/api/generations/[runId]/route";
import { POST as cancelRoute } from "@/app/api/generations/[runId]/cancel/route";
import { GET as eventsRoute } from "@/app/api/generations/[runId]/events/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { GET as latestRunRoute } from "@/app/api/projects/[id]/runs/latest/route";
import { RETRY_POLICY, setRetryPolicyForTests } from "@/lib/ai/call";
import { microCreditsFor, tokensForChars, type PricedModel } from "@/lib/ai/pricing";
import { liveRuns } from "@/lib/ai/runs/registry";
import { NO_RUNNER_REASON } from "@/lib/ai/runs/pipeline";
import { resetEnvForTests } from "@/lib/env";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";
import { countPromptTokens, splitIntoTokens, startLlmServer, type LlmServer, type RecordedRequest } from "../fixtures/llm-server";
import { messageText } from "../fixtures/llm-server/script";
import { authed, openTestApp, signUp } from "./support/app";
import { EXPECTED_FILES, SseReader, TRANSCRIPTS, type SseFrame } from "./generation-helpers";

const JOXCODER = { provider: "joxcoder", model: "joxcoder" } as const;

/**
 * A whole generation through the route handlers: POST /api/generations
 * against the scripted OpenAI-compatible server, the run's SSE stream to its
 * end, and what the store holds afterwards (files, version, steps, credits).
 */

const AI_KEYS = ["JOXCODER_API_URL", "JOXCODER_API_KEY", "JOXCODER_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_BASE_URL", "RUNNER_URL", "RUNNER_SECRET"] as const;
const env = process.env as Record<string, string | undefined>;
const savedEnv = Object.fromEntries(AI_KEYS.map((k) => [k, env[k]]));

let llm: LlmServer;
let backup: LlmServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  llm = await startLlmServer({ script: { roles: TRANSCRIPTS } });
  backup = await startLlmServer({ script: { roles: TRANSCRIPTS } });
  for (const key of AI_KEYS) delete env[key];
  cleanup = await openTestApp({ JOXCODER_API_URL: llm.url });
});

afterAll(async () => {
  await cleanup();
  await Promise.all([llm.close(), backup.close()]);
  for (const key of AI_KEYS) {
    if (savedEnv[key] === undefined) delete env[key];
    else env[key] = savedEnv[key];
  }
  resetEnvForTests();
});

beforeEach(() => {
  resetRateLimitsForTests();
  llm.reset();
  backup.reset();
});

afterEach(async () => {
  llm.setFault(null);
  llm.setTokensPerSecond(0);
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  resetEnvForTests();
  await Promise.all(liveRuns().map((run) => run.finished));
});

const params = (runId: string) => ({ params: Promise.resolve({ runId }) });

async function newProject(cookie: string, name = "Todo app"): Promise<string> {
  const response = await createProjectRoute(authed("POST", "/api/projects", cookie, { name }), undefined);
  expect(response.status).toBe(201);
  return (await response.json()).project.id;
}

async function start(cookie: string, body: Record<string, unknown>) {
  return startRoute(authed("POST", "/api/generations", cookie, body), undefined);
}

async function startRun(cookie: string, projectId: string, extra: Record<string, unknown> = {}) {
  const response = await start(cookie, { projectId, prompt: "Build a todo app", ...extra });
  expect(response.status).toBe(202);
  return (await response.json()) as { runId: string; estimate: number; reserved: number };
}

async function events(cookie: string, runId: string, headers: Record<string, string> = {}, query = ""): Promise<SseReader> {
  const response = await eventsRoute(authed("GET", `/api/generations/${runId}/events${query}`, cookie, undefined, headers), params(runId));
  return new SseReader(response);
}

/** Exact micro-credits of what the scripted server reported for the answered chat requests. */
function reportedMicro(requests: RecordedRequest[], model: PricedModel, answered: (r: RecordedRequest) => boolean = () => true): number {
  return requests
    .filter((r) => r.chatRequest !== null && answered(r))
    .reduce((sum, r) => {
      const body = r.body as { messages: { role: string; content: string }[] };
      const usage = { inputTokens: countPromptTokens(body.messages), outputTokens: splitIntoTokens(TRANSCRIPTS[r.role!]).length };
      return sum + microCreditsFor(model, usage);
    }, 0);
}

/** What the scripted server reported for the answered chat requests, priced as the app prices a run: summed exactly, rounded up once. */
function reportedCredits(requests: RecordedRequest[], model: PricedModel, answered: (r: RecordedRequest) => boolean = () => true): number {
  return Math.ceil(reportedMicro(requests, model, answered) / 1_000_000);
}

const last = (frames: SseFrame[]) => frames.at(-1)!.data;

describe("a whole generation", () => {
  it("streams every step over SSE and leaves the planned files, a version, six steps and an exact ledger", async () => {
    const { cookie, userId } = await signUp();
    const projectId = await newProject(cookie);
    const store = await getStore();
    const before = await store.getBalance(userId);

    const { runId, estimate, reserved } = await startRun(cookie, projectId);
    expect(reserved).toBe(estimate);
    expect(estimate).toBeGreaterThan(0);
    expect(await store.getProject(userId, projectId)).toMatchObject({ status: "generating", prompt: "Build a todo app" });

    const frames = await (await events(cookie, runId)).readToEnd();

    // SSE framing: ids are the persisted seqs 1..n, event names are the types.
    expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => i + 1));
    for (const f of frames) expect(f.event).toBe(f.data.type);
    expect(frames[0].data).toMatchObject({ type: "run_started", runId, projectId, reserved, estimate });
    const done = last(frames);
    // No code runner here: the files are all there, but no check ran, so the run is not a clean completion.
    expect(done).toMatchObject({ type: "done", status: "completed_with_issues", version: 1, issues: [{ summary: NO_RUNNER_REASON }] });

    // The planned files, with the security reviewer's edit applied.
    const files = await store.listFiles(userId, projectId);
    expect(files.map((f) => f.path).sort()).toEqual(EXPECTED_FILES);
    expect(files.find((f) => f.path === "web/app.js")!.content).toContain("item.textContent = t.title;");
    expect(frames.map((f) => f.data)).toContainEqual({ type: "file_edited", role: "security", path: "web/app.js" });
    const versions = await store.listVersions(userId, projectId);
    expect(versions).toHaveLength(1);
    expect(Object.keys(versions[0].manifest).sort()).toEqual(EXPECTED_FILES);

    // Six role steps; the tester is skipped with its reason since no runner is configured.
    const steps = await store.listGenerationSteps(userId, runId);
    expect(steps.map((s) => s.role).sort()).toEqual(["architect", "backend", "devops", "frontend", "security", "tester"]);
    for (const step of steps.filter((s) => s.role !== "tester")) {
      expect(step).toMatchObject({ status: "succeeded", provider: "joxcoder" });
      expect(step.inputTokens).toBeGreaterThan(0);
      expect(step.outputTokens).toBe(splitIntoTokens(TRANSCRIPTS[step.role]).length);
    }
    expect(steps.find((s) => s.role === "tester")).toMatchObject({ status: "skipped", output: NO_RUNNER_REASON, credits: 0 });
    expect(llm.requests.filter((r) => r.role === "tester")).toHaveLength(0);

    // Credits: what the provider reported, summed exactly and rounded up once for the run; the rest refunded.
    // Each step records the whole credits the run's total reached during it.
    const spent = reportedCredits(llm.requests, JOXCODER);
    expect(steps.reduce((n, s) => n + s.credits, 0)).toBe(spent);
    expect(done).toMatchObject({ spent, refunded: reserved - spent });
    expect(await store.getBalance(userId)).toBe(before - spent);
    const ledger = await store.listLedger(userId, 100);
    expect(ledger.map((e) => [e.reason, e.delta]).sort()).toEqual(
      [["generation", -reserved], ["refund", reserved - spent], ["trial", 100]].sort(),
    );
    const meters = frames.map((f) => f.data).filter((e) => e.type === "meter");
    expect(meters.at(-1)).toEqual({ type: "meter", spent, reserved });

    // The run's record and the status route.
    const status = await runRoute(authed("GET", `/api/generations/${runId}`, cookie), params(runId));
    expect(status.status).toBe(200);
    const body = await status.json();
    expect(body.run).toMatchObject({ id: runId, status: "completed_with_issues", cap: reserved, error: NO_RUNNER_REASON });
    expect(body.steps).toHaveLength(6);
    expect((await store.getProject(userId, projectId))?.status).toBe("completed_with_issues");
    const usage = await store.usageStats(userId);
    expect(usage.byKind.generate).toEqual({ requests: 5, tokens: expect.any(Number), credits: spent });
  });

  it("backend and frontend stream at the same time", async () => {
    const { cookie } = await signUp();
    llm.setTokensPerSecond(400);
    const { runId } = await startRun(cookie, await newProject(cookie));
    const frames = (await (await events(cookie, runId)).readToEnd()).map((f) => f.data);
    const at = (type: string, role: string) => frames.findIndex((e) => e.type === type && "role" in e && e.role === role);
    expect(Math.max(at("step_started", "backend"), at("step_started", "frontend"))).toBeLessThan(
      Math.min(at("step_finished", "backend"), at("step_finished", "frontend")),
    );
  });
});

describe("faults", () => {
  it("a 500 from the first provider is retried, then the run completes on the second", async () => {
    // The real number of retries with short waits (100 ms × 2^(n−1)): five roles back off here.
    setRetryPolicyForTests({ baseDelayMs: 100 });
    try {
      env.OPENAI_API_KEY = "sk-test-platform";
      env.OPENAI_BASE_URL = backup.url;
      resetEnvForTests();
      const providerText = "node jox-3 overloaded (trace 7f3a)";
      llm.setFault({ fault: { kind: "status", status: 500, message: providerText }, times: "always" });
      const { cookie, userId } = await signUp();
      const projectId = await newProject(cookie);

      const { runId } = await startRun(cookie, projectId);
      const frames = await (await events(cookie, runId)).readToEnd();

      expect(last(frames)).toMatchObject({ type: "done", status: "completed_with_issues", issues: [{ summary: NO_RUNNER_REASON }] });
      const store = await getStore();
      expect((await store.listFiles(userId, projectId)).map((f) => f.path).sort()).toEqual(EXPECTED_FILES);
      const steps = (await store.listGenerationSteps(userId, runId)).filter((s) => s.role !== "tester");
      expect(steps).toHaveLength(5);
      for (const step of steps) expect(step).toMatchObject({ status: "succeeded", provider: "openai", model: "gpt-4o-mini" });
      // Every role's request to JoxCoder: the first try and its retries, then the fallback.
      const tries = 1 + RETRY_POLICY.maxRetries;
      expect(llm.requests.filter((r) => r.chatRequest !== null)).toHaveLength(5 * tries);
      for (const role of ["architect", "backend", "frontend", "devops", "security"]) {
        expect(llm.requests.filter((r) => r.role === role)).toHaveLength(tries);
        expect(backup.requests.filter((r) => r.role === role)).toHaveLength(1);
      }

      // People read sentences: a retry notice per retried try, one fall-through per role, never the provider's text.
      const logs = frames.map((f) => f.data).filter((e) => e.type === "log");
      const warnings = logs.filter((e) => e.level === "warn").map((e) => e.message);
      expect(warnings.filter((m) => /^The AI service had a temporary error; retrying (now|in \d+(\.\d)? s)\.$/.test(m))).toHaveLength(5 * RETRY_POLICY.maxRetries);
      expect(warnings.filter((m) => m === "JoxCoder had a server error; trying the next provider.")).toHaveLength(5);
      expect(JSON.stringify(frames)).not.toContain(providerText);
      expect(JSON.stringify(frames)).not.toContain("Scripted failure");

      // The failed tries reported no usage and cost nothing: the run pays OpenAI's reported usage, rounded once.
      const spent = reportedCredits(backup.requests, { provider: "openai", model: "gpt-4o-mini" });
      expect(last(frames)).toMatchObject({ spent });
      for (const step of frames.map((f) => f.data)) {
        if (step.type === "step_finished" && step.role !== "tester") {
          expect(step).toMatchObject({
            inputTokens: countPromptTokens((backup.requests.find((r) => r.role === step.role)!.body as { messages: { role: string; content: string }[] }).messages),
            outputTokens: splitIntoTokens(TRANSCRIPTS[step.role]).length,
          });
          expect(step.usageEstimated).toBeUndefined();
        }
      }
    } finally {
      setRetryPolicyForTests(null);
    }
  });

  it("a stream cut mid-file keeps the files closed before the cut and charges the estimate of what was streamed", async () => {
    const cutAt = Math.ceil((TRANSCRIPTS.backend.indexOf('<file path="server/index.js">') + 60) / 4);
    llm.setFault({ fault: { kind: "cut", afterChunks: cutAt }, role: "backend" });
    const { cookie, userId } = await signUp();
    const projectId = await newProject(cookie);
    const store = await getStore();

    const { runId, reserved } = await startRun(cookie, projectId);
    const frames = await (await events(cookie, runId)).readToEnd();

    // A cut after text is not retried on the same provider, and there is no other: the backend step fails, and the run.
    const end = last(frames);
    expect(end).toMatchObject({ type: "failed", status: "failed" });
    expect(llm.requests.filter((r) => r.role === "backend")).toHaveLength(1);
    expect(frames.map((f) => f.data)).toContainEqual({
      type: "log",
      role: "backend",
      level: "warn",
      message: "JoxCoder broke off its answer; there is no other provider to try.",
    });
    const paths = (await store.listFiles(userId, projectId)).map((f) => f.path);
    expect(paths).toContain("server/store.js");
    expect(paths).not.toContain("server/index.js");
    expect(paths).toContain("web/app.js"); // the frontend, running alongside, finished
    expect((await store.listGenerationSteps(userId, runId)).map((s) => s.role)).not.toContain("devops");

    // The cut try reported no usage but streamed `cutAt` chunks: estimated from the characters sent and received.
    const cutRequest = llm.requests.find((r) => r.role === "backend")!;
    const sentChars = (cutRequest.body as { messages: { content: unknown }[] }).messages.reduce((n, m) => n + messageText(m.content).length, 0);
    const receivedChars = splitIntoTokens(TRANSCRIPTS.backend).slice(0, cutAt).join("").length;
    const cut = { inputTokens: tokensForChars(sentChars), outputTokens: tokensForChars(receivedChars) };
    const backend = (await store.listGenerationSteps(userId, runId)).find((s) => s.role === "backend");
    expect(backend).toMatchObject({ status: "failed", inputTokens: cut.inputTokens, outputTokens: cut.outputTokens });
    expect(frames.map((f) => f.data).find((e) => e.type === "step_finished" && e.role === "backend")).toMatchObject({ usageEstimated: true });

    // The run pays the others' reported usage plus the cut try's estimate, summed exactly and rounded once.
    const micro = reportedMicro(llm.requests, JOXCODER, (r) => r.role !== "backend") + microCreditsFor(JOXCODER, cut);
    const spent = Math.ceil(micro / 1_000_000);
    expect(end).toMatchObject({ spent, refunded: reserved - spent });
    expect((await store.listGenerationSteps(userId, runId)).reduce((n, s) => n + s.credits, 0)).toBe(spent);
    expect(await store.getBalance(userId)).toBe(100 - spent);
    expect((await store.getProject(userId, projectId))?.status).toBe("failed");
    expect((await store.getRun(userId, runId))?.status).toBe("failed");
  });

  it("cancel mid-run stops it and refunds the rest", async () => {
    llm.setTokensPerSecond(300);
    const { cookie, userId } = await signUp();
    const projectId = await newProject(cookie);
    const { runId, reserved } = await startRun(cookie, projectId);
    const reader = await events(cookie, runId);
    await reader.until((f) => f.data.type === "step_started" && f.data.role === "backend");

    const cancel = await cancelRoute(authed("POST", `/api/generations/${runId}/cancel`, cookie), params(runId));
    expect(cancel.status).toBe(200);
    expect((await cancel.json()).run).toMatchObject({ status: "canceled" });

    const frames = await reader.readToEnd();
    const end = last(frames);
    expect(end).toMatchObject({ type: "failed", status: "canceled" });
    expect(frames.some((f) => f.data.type === "step_started" && f.data.role === "devops")).toBe(false);
    const store = await getStore();
    const spent = end.type === "failed" ? end.spent : -1;
    expect(spent).toBeLessThan(reserved);
    expect(end).toMatchObject({ refunded: reserved - spent });
    expect(await store.getBalance(userId)).toBe(100 - spent);
    expect((await store.listLedger(userId)).find((e) => e.reason === "refund")?.delta).toBe(reserved - spent);
  });
});

describe("cancel through the real AI call", () => {
  it("stops both builders in flight, starts no later step, tries no fallback provider and refunds the rest", async () => {
    llm.setTokensPerSecond(200);
    env.OPENAI_API_KEY = "sk-test-platform";
    env.OPENAI_BASE_URL = backup.url;
    resetEnvForTests();
    const { cookie, userId } = await signUp();
    const projectId = await newProject(cookie);
    const { runId, reserved } = await startRun(cookie, projectId);
    const reader = await events(cookie, runId);
    // Both builders are writing when the cancel comes.
    await reader.until((f) => f.data.type === "file_started" && f.data.role === "backend");
    if (!reader.frames.some((f) => f.data.type === "file_started" && f.data.role === "frontend")) {
      await reader.until((f) => f.data.type === "file_started" && f.data.role === "frontend");
    }

    const cancel = await cancelRoute(authed("POST", `/api/generations/${runId}/cancel`, cookie), params(runId));
    expect(cancel.status).toBe(200);
    expect((await cancel.json()).run).toMatchObject({ status: "canceled", error: "The run was canceled." });

    const frames = await reader.readToEnd();
    const types = frames.map((f) => `${f.data.type}${"role" in f.data ? `:${f.data.role}` : ""}`);
    const firstCanceled = frames.findIndex((f) => f.data.type === "step_finished" && f.data.status === "canceled");
    expect(firstCanceled).toBeGreaterThan(0);
    // After the cancel: only the builders' ends, then the run's end.
    expect(frames.slice(firstCanceled).some((f) => f.data.type === "step_started")).toBe(false);
    expect(types).not.toContain("step_started:devops");
    const builderEnds = frames.filter((f) => f.data.type === "step_finished" && (f.data.role === "backend" || f.data.role === "frontend"));
    expect(builderEnds.map((f) => (f.data.type === "step_finished" ? f.data.status : null))).toEqual(["canceled", "canceled"]);
    expect(frames.some((f) => f.data.type === "log" && /trying the next provider/.test(f.data.message))).toBe(false);
    const end = last(frames);
    expect(end).toMatchObject({ type: "failed", status: "canceled", error: "The run was canceled." });

    // The fallback provider was never asked.
    expect(backup.requests.filter((r) => r.chatRequest !== null)).toHaveLength(0);
    const store = await getStore();
    const steps = await store.listGenerationSteps(userId, runId);
    expect(steps.map((s) => [s.role, s.status])).toEqual([
      ["architect", "succeeded"],
      ["backend", "canceled"],
      ["frontend", "canceled"],
    ]);
    const spent = end.type === "failed" ? end.spent : -1;
    expect(end).toMatchObject({ refunded: reserved - spent });
    expect(await store.getBalance(userId)).toBe(100 - spent);
    expect((await store.getRun(userId, runId))?.status).toBe("canceled");
  });
});

describe("GET /api/projects/:id/runs/latest", () => {
  const latest = (projectId: string, cookie: string) =>
    latestRunRoute(authed("GET", `/api/projects/${projectId}/runs/latest`, cookie), { params: Promise.resolve({ id: projectId }) });

  it("is null before any run, the running run while it runs, then the same run finished", async () => {
    llm.setTokensPerSecond(300);
    const { cookie } = await signUp();
    const projectId = await newProject(cookie);
    const empty = await latest(projectId, cookie);
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({ run: null });

    const { runId } = await startRun(cookie, projectId);
    const running = await (await latest(projectId, cookie)).json();
    expect(running.run).toMatchObject({ id: runId, status: "running", finishedAt: null });
    expect(typeof running.run.createdAt).toBe("number");
    expect(Object.keys(running.run).sort()).toEqual(["createdAt", "finishedAt", "id", "status"]);

    await (await events(cookie, runId)).readToEnd();
    const finished = await (await latest(projectId, cookie)).json();
    expect(finished.run).toMatchObject({ id: runId, status: "completed_with_issues", createdAt: running.run.createdAt });
    expect(finished.run.finishedAt).toBeGreaterThanOrEqual(running.run.createdAt);
  });

  it("answers 401 without a session and 404 for another user's or an unknown project", async () => {
    const owner = await signUp();
    const other = await signUp();
    const projectId = await newProject(owner.cookie);
    expect((await latest(projectId, "")).status).toBe(401);
    const foreign = await latest(projectId, other.cookie);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ error: "not_found" });
    expect((await latest("not a project id", owner.cookie)).status).toBe(404);
  });
});

describe("resuming and access", () => {
  it("a second connection with Last-Event-ID gets exactly the events after that id", async () => {
    llm.setTokensPerSecond(1_000);
    const { cookie, userId } = await signUp();
    const { runId } = await startRun(cookie, await newProject(cookie));

    const first = await events(cookie, runId);
    for (let i = 0; i < 4; i++) await first.next();
    await first.close();
    const seen = first.frames.map((f) => f.id);
    expect(seen).toEqual([1, 2, 3, 4]);

    const rest = await (await events(cookie, runId, { "last-event-id": "4" })).readToEnd();
    const all = (await (await getStore()).listRunEvents(userId, runId)).map((e) => e.seq);
    expect([...seen, ...rest.map((f) => f.id)]).toEqual(all);
    expect(rest.at(-1)!.data.type).toBe("done");

    // After the run: ?lastEventId= replays from the store.
    const tail = await (await events(cookie, runId, {}, `?lastEventId=${all.length - 2}`)).readToEnd();
    expect(tail.map((f) => f.id)).toEqual(all.slice(-2));
  });

  it("another user's run answers 404 everywhere", async () => {
    const owner = await signUp();
    const other = await signUp();
    const { runId } = await startRun(owner.cookie, await newProject(owner.cookie));
    const paths = [
      runRoute(authed("GET", `/api/generations/${runId}`, other.cookie), params(runId)),
      eventsRoute(authed("GET", `/api/generations/${runId}/events`, other.cookie), params(runId)),
      cancelRoute(authed("POST", `/api/generations/${runId}/cancel`, other.cookie), params(runId)),
    ];
    for (const response of await Promise.all(paths)) {
      expect(response.status).toBe(404);
      expect((await response.json()).error).toBe("not_found");
    }
    // The owner's run was not canceled by the attempt.
    const frames = await (await events(owner.cookie, runId)).readToEnd();
    expect(last(frames).type).toBe("done");
  });

  it("refuses bad input with 4xx, unauthenticated calls with 401, and a start beyond the balance with 402", async () => {
    const { cookie, userId } = await signUp();
    const projectId = await newProject(cookie);
    const status = async (body: unknown) => (await start(cookie, body as Record<string, unknown>)).status;
    expect(await status({ projectId, prompt: "" })).toBe(400);
    expect(await status({ projectId, prompt: "x".repeat(20_001) })).toBe(400);
    expect(await status({ projectId, prompt: "ok", cap: 0 })).toBe(400);
    expect(await status({ projectId, prompt: "ok", cap: 2.5 })).toBe(400);
    expect(await status({ projectId, prompt: "ok", extra: true })).toBe(400);
    expect(await status({ projectId: "nope", prompt: "ok" })).toBe(404);
    expect((await startRoute(authed("POST", "/api/generations", "", { projectId, prompt: "ok" }), undefined)).status).toBe(401);

    const negative = await start(cookie, { projectId, prompt: "ok", cap: -5 });
    expect(negative.status).toBe(400);
    expect((await negative.json()).message).toBe("cap must be a positive whole number of credits.");

    // Spend the balance down below the estimate: 402 and nothing started.
    const store = await getStore();
    const hold = await store.reserveCredits(userId, 98, "test-drain");
    expect(hold.ok).toBe(true);
    const short = await start(cookie, { projectId, prompt: "Build a todo app" });
    expect(short.status).toBe(402);
    const body = await short.json();
    expect(body).toMatchObject({ error: "insufficient_credits", available: 2 });
    expect(body.required).toBeGreaterThan(2);
    // With a cap above the balance, what is missing is still only the reservation, min(cap, estimate).
    const capped = await start(cookie, { projectId, prompt: "Build a todo app", cap: 1000 });
    expect(capped.status).toBe(402);
    expect(await capped.json()).toMatchObject({ error: "insufficient_credits", required: body.required, available: 2 });
    expect(llm.requests).toHaveLength(0);
    expect(await store.getBalance(userId)).toBe(2);
  });

  it("a cap above the balance starts the run when the estimate is affordable: only min(cap, estimate) is reserved", async () => {
    const { cookie, userId } = await signUp();
    const store = await getStore();
    const balance = await store.getBalance(userId);
    const { reserved, estimate, runId } = await startRun(cookie, await newProject(cookie), { cap: balance + 1000 });
    expect(estimate).toBeLessThan(balance);
    expect(reserved).toBe(estimate);
    const end = last(await (await events(cookie, runId)).readToEnd());
    expect(end.type === "done" || end.type === "failed" ? end.spent : -1).toBeLessThanOrEqual(estimate);
  });

  it("limits how many runs a user starts per minute", async () => {
    const { cookie } = await signUp();
    // Valid bodies are counted even when the project does not exist.
    for (let i = 0; i < 10; i++) expect((await start(cookie, { projectId: "missing", prompt: "ok" })).status).toBe(404);
    const limited = await start(cookie, { projectId: "missing", prompt: "ok" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await limited.json()).error).toBe("rate_limited");
  });

  it("a cap lower than the estimate is what gets reserved", async () => {
    const { cookie } = await signUp();
    const { reserved, estimate, runId } = await startRun(cookie, await newProject(cookie), { cap: 3 });
    expect(estimate).toBeGreaterThan(3);
    expect(reserved).toBe(3);
    const end = last(await (await events(cookie, runId)).readToEnd());
    expect(end.type === "done" || end.type === "failed" ? end.spent : -1).toBeLessThanOrEqual(3);
  });
});
