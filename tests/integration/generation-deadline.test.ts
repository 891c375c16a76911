import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as startRoute } from "@/app/api/generations/route";
import { GET as runRoute } from "@/app/api/generations/[runId]/route";
import { POST as cancelRoute } from "@/app/api/generations/[runId]/cancel/route";
import { GET as eventsRoute } from "@/app/api/generations/[runId]/events/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { GET as latestRunRoute } from "@/app/api/projects/[id]/runs/latest/route";
import { deadlineMessage, INTERRUPTED_MESSAGE, RUN_MAX_DURATION_MS, RUN_SETTLE_GRACE_MS } from "@/lib/ai/runs/deadline";
import { liveRuns } from "@/lib/ai/runs/registry";
import { setGenerationDependenciesForTests } from "@/lib/ai/runs/start";
import { resetEnvForTests } from "@/lib/env";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { getStore, type Run } from "@/lib/store";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";
import { authed, openTestApp, signUp } from "./support/app";
import { SseReader, TRANSCRIPTS } from "./generation-helpers";

/**
 * How a run ends when nobody ends it: its overall deadline (a provider that
 * stalls), and a run orphaned by a restart, closed by the first read past the
 * bound no live run can reach — once, however many reads race — and left alone
 * before it (another instance may be executing it).
 */

const AI_KEYS = ["JOXCODER_API_URL", "JOXCODER_API_KEY", "JOXCODER_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_BASE_URL", "RUNNER_URL", "RUNNER_SECRET"] as const;
const env = process.env as Record<string, string | undefined>;
const savedEnv = Object.fromEntries(AI_KEYS.map((k) => [k, env[k]]));

let llm: LlmServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  llm = await startLlmServer({ script: { roles: TRANSCRIPTS } });
  for (const key of AI_KEYS) delete env[key];
  cleanup = await openTestApp({ JOXCODER_API_URL: llm.url });
});

afterAll(async () => {
  await cleanup();
  await llm.close();
  for (const key of AI_KEYS) {
    if (savedEnv[key] === undefined) delete env[key];
    else env[key] = savedEnv[key];
  }
  resetEnvForTests();
});

beforeEach(() => {
  resetRateLimitsForTests();
  llm.reset();
});

afterEach(async () => {
  llm.setFault(null);
  await Promise.all(liveRuns().map((run) => run.finished));
  setGenerationDependenciesForTests();
});

const params = (runId: string) => ({ params: Promise.resolve({ runId }) });

async function newProject(cookie: string): Promise<string> {
  const response = await createProjectRoute(authed("POST", "/api/projects", cookie, { name: "Todo app" }), undefined);
  expect(response.status).toBe(201);
  return (await response.json()).project.id;
}

async function events(cookie: string, runId: string): Promise<SseReader> {
  return new SseReader(await eventsRoute(authed("GET", `/api/generations/${runId}/events`, cookie), params(runId)));
}

async function readRun(cookie: string, runId: string): Promise<Run> {
  const response = await runRoute(authed("GET", `/api/generations/${runId}`, cookie), params(runId));
  expect(response.status).toBe(200);
  return (await response.json()).run;
}

async function readLatest(cookie: string, projectId: string): Promise<Pick<Run, "id" | "status">> {
  const response = await latestRunRoute(authed("GET", `/api/projects/${projectId}/runs/latest`, cookie), {
    params: Promise.resolve({ id: projectId }),
  });
  expect(response.status).toBe(200);
  return (await response.json()).run;
}

describe("the run's deadline", () => {
  it("the default deadline is 30 minutes, with the message the user sees", () => {
    expect(RUN_MAX_DURATION_MS).toBe(30 * 60_000);
    expect(deadlineMessage()).toBe("The run took longer than 30 minutes and was stopped; unspent credits were refunded.");
  });

  it("a provider that stalls past it: the run ends failed, keeps what it spent and refunds the rest", async () => {
    const maxDurationMs = 2_000;
    setGenerationDependenciesForTests({ runMaxDurationMs: maxDurationMs });
    // The backend's provider accepts the request and never answers (the per-call timeout is far longer).
    llm.setFault({ fault: { kind: "hang" }, role: "backend" });
    const { cookie, userId } = await signUp();
    const projectId = await newProject(cookie);
    const store = await getStore();
    const before = await store.getBalance(userId);

    const started = await startRoute(authed("POST", "/api/generations", cookie, { projectId, prompt: "Build a todo app" }), undefined);
    expect(started.status).toBe(202);
    const { runId, reserved } = (await started.json()) as { runId: string; reserved: number };

    const frames = await (await events(cookie, runId)).readToEnd();
    const end = frames.at(-1)!.data;
    const error = deadlineMessage(maxDurationMs);
    expect(error).toBe("The run took longer than 2 seconds and was stopped; unspent credits were refunded.");
    expect(end).toMatchObject({ type: "failed", status: "failed", error });

    // Spent stays charged (the architect answered), the rest comes back through the one settle.
    const steps = await store.listGenerationSteps(userId, runId);
    const spent = steps.reduce((n, s) => n + s.credits, 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThan(reserved);
    expect(end).toMatchObject({ spent, refunded: reserved - spent });
    expect(await store.getBalance(userId)).toBe(before - spent);
    expect((await store.listLedger(userId, 100)).filter((e) => e.reason === "refund").map((e) => e.delta)).toEqual([reserved - spent]);
    expect(steps.find((s) => s.role === "architect")).toMatchObject({ status: "succeeded" });
    expect(steps.find((s) => s.role === "backend")).toMatchObject({ status: "canceled", error });
    expect(steps.map((s) => s.role)).not.toContain("devops");

    const run = await store.getRun(userId, runId);
    expect(run).toMatchObject({ status: "failed", error });
    expect(await store.getReservation(run!.reservationId)).toMatchObject({ status: "settled", spent });
    expect((await store.getProject(userId, projectId))?.status).toBe("failed");
    expect(frames.filter((f) => f.data.type === "failed" || f.data.type === "done")).toHaveLength(1);
  });
});

describe("a run orphaned by a restart", () => {
  /** A run as a process that died mid-run leaves it: running, its reservation open with 3 credits spent, one event. */
  async function orphan() {
    const { cookie, userId } = await signUp();
    const projectId = await newProject(cookie);
    const store = await getStore();
    const before = await store.getBalance(userId);
    const reserved = await store.reserveCredits(userId, 20, `generation:orphan-${projectId}`);
    if (!reserved.ok) throw new Error("could not reserve");
    const run = await store.createRun(userId, { projectId, reservationId: reserved.reservation.id, cap: 20, estimate: 20 });
    await store.updateProject(userId, projectId, { status: "generating" });
    await store.appendRunEvent(userId, run.id, { type: "run_started", runId: run.id, projectId, reserved: 20, estimate: 20 });
    await store.chargeReservation(reserved.reservation.id, 3);
    return { cookie, userId, projectId, run, before, store };
  }

  it("is closed by reads past the bound as failed, refunded exactly once however many reads race", async () => {
    const { cookie, userId, projectId, run, before, store } = await orphan();
    // The clock past createdAt + deadline + grace; no sleeping.
    setGenerationDependenciesForTests({ now: () => run.createdAt + RUN_MAX_DURATION_MS + RUN_SETTLE_GRACE_MS });

    const [viaRun, viaLatest, viaRunAgain, stream] = await Promise.all([
      readRun(cookie, run.id),
      readLatest(cookie, projectId),
      readRun(cookie, run.id),
      events(cookie, run.id),
    ]);
    for (const seen of [viaRun, viaRunAgain]) expect(seen).toMatchObject({ id: run.id, status: "failed", error: INTERRUPTED_MESSAGE });
    expect(viaLatest).toMatchObject({ id: run.id, status: "failed" });

    // The SSE stream replays the run and ends with its one `failed` event.
    const frames = await stream.readToEnd();
    expect(frames.map((f) => f.data.type)).toEqual(["run_started", "failed"]);
    expect(frames[1].data).toEqual({ type: "failed", status: "failed", spent: 3, refunded: 17, error: INTERRUPTED_MESSAGE });

    // One refund of what was not spent; the 3 spent stay charged.
    expect(await store.getBalance(userId)).toBe(before - 3);
    expect((await store.listLedger(userId, 100)).filter((e) => e.reason === "refund").map((e) => e.delta)).toEqual([17]);
    expect(await store.getReservation(run.reservationId)).toMatchObject({ status: "settled", spent: 3 });
    expect((await store.listRunEvents(userId, run.id)).filter((e) => e.event.type === "failed")).toHaveLength(1);
    expect((await store.getProject(userId, projectId))?.status).toBe("failed");

    // Later reads change nothing.
    expect(await readRun(cookie, run.id)).toMatchObject({ status: "failed", error: INTERRUPTED_MESSAGE });
    expect(await store.getBalance(userId)).toBe(before - 3);
  });

  it("is left running before the bound: another instance may be executing it", async () => {
    const { cookie, userId, projectId, run, store } = await orphan();
    setGenerationDependenciesForTests({ now: () => run.createdAt + RUN_MAX_DURATION_MS + RUN_SETTLE_GRACE_MS - 1 });

    expect(await readRun(cookie, run.id)).toMatchObject({ status: "running", error: null, finishedAt: null });
    expect(await readLatest(cookie, projectId)).toMatchObject({ id: run.id, status: "running" });

    expect(await store.getBalance(userId)).toBe(80);
    expect(await store.getReservation(run.reservationId)).toMatchObject({ status: "open", spent: 3 });
    expect((await store.listRunEvents(userId, run.id)).map((e) => e.event.type)).toEqual(["run_started"]);
    expect((await store.getProject(userId, projectId))?.status).toBe("generating");
  });

  it("a cancel still closes it at once, through the same close, as canceled", async () => {
    const { cookie, userId, run, before, store } = await orphan();
    const response = await cancelRoute(authed("POST", `/api/generations/${run.id}/cancel`, cookie), params(run.id));
    expect(response.status).toBe(200);
    expect((await response.json()).run).toMatchObject({ status: "canceled", error: "The run was canceled." });
    expect(await store.getBalance(userId)).toBe(before - 3);
    const last = (await store.listRunEvents(userId, run.id)).at(-1)!.event;
    expect(last).toEqual({ type: "failed", status: "canceled", spent: 3, refunded: 17, error: "The run was canceled." });
  });
});
