import { randomUUID } from "node:crypto";
import { env } from "@/lib/env";
import { HttpError, notFound } from "@/lib/http/errors";
import { isPlausibleProjectId } from "@/lib/projects/schema";
import { runnerClient, type RunnerClient } from "@/lib/sandbox";
import { getStore, type Id, type Project, type Run, type Store } from "@/lib/store";
import { streamCompletion } from "../call";
import { insufficientCredits } from "../credits";
import { estimateRunCredits, maxPlatformEstimate } from "../pricing";
import { resolveCandidates } from "../model-choice";
import { continueAfterResponse } from "@/lib/http/background";
import type { ChangeRequest } from "../changes/dag";
import type { ProviderCandidate } from "../types";
import { RUN_MAX_DURATION_MS } from "./deadline";
import { launchRun } from "./execute";
import { plannedRoles } from "./pipeline";
import { liveRunOfProject } from "./registry";
import type { StreamFn } from "./run-scope";

/**
 * Starting a generation (POST /api/generations): estimate, reserve
 * min(cap, estimate) — 402 with nothing started when short — record the run
 * and launch it in the background.
 */

export interface StartGenerationInput {
  projectId: string;
  prompt: string;
  /** The most the user allows this run to spend. */
  cap?: number;
  /** A ModelOption id the user picked (lib/ai/model-choice.ts); default: the project's, else the first available. */
  model?: string;
}

export interface StartedGeneration {
  runId: Id;
  estimate: number;
  reserved: number;
}

/** Seams for tests and the benchmark; production uses the real call and the env's runner. */
export interface GenerationDependencies {
  stream: StreamFn;
  runner: () => RunnerClient | null;
  timeoutMs?: number;
  maxFixerPasses?: number;
  /** A run's overall deadline (default RUN_MAX_DURATION_MS); also sets when an unfinished run counts as orphaned. */
  runMaxDurationMs?: number;
  /** The clock that decides whether a run is orphaned (default Date.now). */
  now?: () => number;
}

const production: GenerationDependencies = {
  stream: streamCompletion,
  runner: () => {
    const e = env();
    return e.RUNNER_URL && e.RUNNER_SECRET ? runnerClient(e) : null;
  },
};

let dependencies: GenerationDependencies = production;

/** Tests only: replace the seams (undefined restores production). */
export function setGenerationDependenciesForTests(overrides?: Partial<GenerationDependencies>): void {
  dependencies = overrides ? { ...production, ...overrides } : production;
}

/** What decides a run's deadline and whether an unfinished run is orphaned (lib/ai/runs/abandoned.ts). */
export function runLimits(): { maxDurationMs: number; now: () => number } {
  return { maxDurationMs: dependencies.runMaxDurationMs ?? RUN_MAX_DURATION_MS, now: dependencies.now ?? Date.now };
}

/** Credits a run reserves: the plan's roles priced at the dearest platform candidate, at least 1. */
function runEstimate(candidates: ProviderCandidate[], hasRunner: boolean, promptChars: number): number {
  return Math.max(
    1,
    maxPlatformEstimate(candidates, (model) =>
      estimateRunCredits({ roles: plannedRoles(hasRunner, dependencies.maxFixerPasses), promptChars, model }),
    ),
  );
}

export interface GenerationEstimate {
  /** What POST /api/generations would reserve for this prompt now. */
  estimate: number;
  /** The model the run would try first. */
  model: string;
}

/** The estimate shown before a run starts (POST /api/generations/estimate); throws NoProviderError (503) like a start would. */
export async function estimateGeneration(userId: Id, prompt: string, model?: string): Promise<GenerationEstimate> {
  const candidates = await resolveCandidates(userId, { model });
  return { estimate: runEstimate(candidates, dependencies.runner() !== null, prompt.length), model: candidates[0].model };
}

export async function startGeneration(userId: Id, input: StartGenerationInput): Promise<StartedGeneration> {
  const store: Store = await getStore();
  let project = await ownIdleProject(store, userId, input.projectId);
  const candidates = await resolveCandidates(userId, { model: input.model, remembered: project.model });
  project = await rememberModel(store, userId, project, input.model);
  const runner = dependencies.runner();
  const estimate = runEstimate(candidates, runner !== null, input.prompt.length);
  return reserveAndLaunch(store, userId, project, { estimate, cap: input.cap, candidates, runner, prompt: input.prompt });
}

/** A model picked for a run (already checked to be available) becomes the project's: the pickers show it next time. */
export async function rememberModel(store: Store, userId: Id, project: Project, model: string | undefined): Promise<Project> {
  if (model === undefined || model === project.model) return project;
  return store.updateProject(userId, project.id, { model });
}

/** The user's project, with no run going on; 404 / 409 otherwise. */
export async function ownIdleProject(store: Store, userId: Id, projectId: string): Promise<Project> {
  const project = isPlausibleProjectId(projectId) ? await store.getProject(userId, projectId) : null;
  if (!project) throw notFound("Project");
  if (liveRunOfProject(project.id)) {
    throw new HttpError(409, "run_in_progress", "A generation or change is already running for this project. Wait for it or cancel it.");
  }
  return project;
}

export interface LaunchPlan {
  estimate: number;
  cap?: number;
  candidates: ProviderCandidate[];
  runner: RunnerClient | null;
  /** The generation's prompt (recorded on the project), or, for a change, its request. */
  prompt: string;
  change?: ChangeRequest;
}

/**
 * Reserves min(cap, estimate) — 402 with nothing started when short — records the run and launches
 * it in the background (a generation, or a change request).
 */
export async function reserveAndLaunch(store: Store, userId: Id, project: Project, plan: LaunchPlan): Promise<StartedGeneration> {
  const { estimate, candidates, runner } = plan;
  const input = { cap: plan.cap, prompt: plan.prompt };
  const balance = await store.getBalance(userId);
  const amount = Math.min(input.cap ?? estimate, estimate);
  // Only what is reserved must be affordable: a cap above the balance is fine when the estimate is not.
  if (amount > balance) throw insufficientCredits(amount, balance);
  const reserved = await store.reserveCredits(userId, amount, `generation:${randomUUID()}`);
  if (!reserved.ok) throw insufficientCredits(reserved.required, reserved.available);

  let run: Run | undefined;
  try {
    run = await store.createRun(userId, {
      projectId: project.id,
      reservationId: reserved.reservation.id,
      cap: amount,
      estimate,
      kind: plan.change ? "change" : "generation",
      request: plan.change?.request ?? input.prompt,
    });
    await store.updateProject(userId, project.id, plan.change ? { status: "generating" } : { prompt: input.prompt, status: "generating" });
  } catch (err) {
    // Nothing started: give the credits back and close the run record if there is one.
    await store.settleReservation(reserved.reservation.id).catch(() => {});
    if (run) await store.finishRun(userId, run.id, { status: "failed", error: "The run could not start." }).catch(() => {});
    throw err;
  }

  const live = launchRun({
    store,
    userId,
    run,
    prompt: input.prompt,
    candidates,
    stream: dependencies.stream,
    runner,
    timeoutMs: dependencies.timeoutMs,
    maxFixerPasses: dependencies.maxFixerPasses,
    maxDurationMs: runLimits().maxDurationMs,
    change: plan.change,
  });
  continueAfterResponse(live.finished);
  return { runId: run.id, estimate, reserved: amount };
}

/** Seams the change requests share with generations (lib/ai/changes/start.ts). */
export function launchDependencies(): Pick<GenerationDependencies, "runner" | "maxFixerPasses"> {
  return { runner: dependencies.runner, maxFixerPasses: dependencies.maxFixerPasses };
}
