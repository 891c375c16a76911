import type { RunnerClient } from "@/lib/sandbox/client";
import { log } from "@/lib/log";
import type { Id, Run, Store } from "@/lib/store/types";
import { runChange, type ChangeRequest } from "../changes/dag";
import { Meter } from "../credits";
import type { ProviderCandidate, RunEvent } from "../types";
import { deadlineMessage, RUN_MAX_DURATION_MS, STOP_UNWIND_MS, type AbortReason } from "./deadline";
import { runDag, type DagOutcome } from "./pipeline";
import { createEmitter, registerRun, unregisterRun, type LiveRun } from "./registry";
import type { RunScope, StreamFn } from "./run-scope";
import { WorkingTree } from "./working-tree";

/**
 * One run from start to end, on the server: executes the DAG, then ALWAYS
 * saves what was produced as a version, settles the reservation (refunding
 * the rest), records the run's final status and emits its last event —
 * whether it completed, failed or was canceled.
 *
 * The run's AbortController stops it early: a cancel ("canceled"), the
 * reservation's cap ("cap") or its overall deadline ("deadline", after
 * `maxDurationMs`, default RUN_MAX_DURATION_MS). Only a cancel ends it as
 * `canceled`; the cap and the deadline end it as `failed`. Whatever stopped
 * it, it ends through the same finalize (spent stays charged, the rest is
 * refunded).
 */

export interface LaunchRunInput {
  store: Store;
  userId: Id;
  run: Run;
  prompt: string;
  candidates: ProviderCandidate[];
  stream: StreamFn;
  runner: RunnerClient | null;
  timeoutMs?: number;
  maxFixerPasses?: number;
  /** The run's overall deadline (default RUN_MAX_DURATION_MS). */
  maxDurationMs?: number;
  /** Once stopped, how long the steps may unwind before the run is finalized anyway (default STOP_UNWIND_MS). */
  stopUnwindMs?: number;
  /** A change request (lib/ai/changes) instead of the whole pipeline: the user's request, what the project is, and the conversation so far. */
  change?: ChangeRequest;
}

export const CANCELED_MESSAGE = "The run was canceled.";

function capMessage(reserved: number): string {
  return `The run reached its credit cap (${reserved} credits) and stopped; what it had produced is saved.`;
}

/** Registers the run and starts it in the background; returns at once. */
export function launchRun(input: LaunchRunInput): LiveRun {
  const controller = new AbortController();
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const live = registerRun(
    { runId: input.run.id, userId: input.userId, projectId: input.run.projectId, controller },
    finished,
  );
  const deadline = setTimeout(() => abort(controller, "deadline"), input.maxDurationMs ?? RUN_MAX_DURATION_MS);
  void executeRun(input, live)
    .catch((err) => log.error({ runId: input.run.id, err }, "run could not finish cleanly"))
    .finally(() => {
      clearTimeout(deadline);
      unregisterRun(input.run.id);
      resolveFinished();
    });
  return live;
}

async function executeRun(input: LaunchRunInput, live: LiveRun): Promise<void> {
  const { store, userId, run } = input;
  const emit = createEmitter(store, userId, run.id, () => live.subscribers);
  const controller = live.controller;
  const stopReason = () => {
    const reason = controller.signal.reason as AbortReason;
    if (reason === "cap") return capMessage(run.cap);
    if (reason === "deadline") return deadlineMessage(input.maxDurationMs ?? RUN_MAX_DURATION_MS);
    return CANCELED_MESSAGE;
  };

  let tree = new WorkingTree();
  let meter: Meter | undefined;
  let outcome: DagOutcome;
  try {
    tree = new WorkingTree(await store.listFiles(userId, run.projectId));
    meter = new Meter(store, run.reservationId, run.cap, input.candidates, emit, () => controller.abort("cap"));
    log.info({ runId: run.id, projectId: run.projectId, kind: input.change ? "change" : "generation", reserved: run.cap, estimate: run.estimate }, "run started");
    await emit({
      type: "run_started",
      runId: run.id,
      projectId: run.projectId,
      reserved: run.cap,
      estimate: run.estimate,
      kind: input.change ? "change" : "generation",
      ...(input.change ? { request: input.change.request } : {}),
    });
    const ctx: RunScope = {
      store,
      userId,
      projectId: run.projectId,
      runId: run.id,
      candidates: input.candidates,
      stream: input.stream,
      emit,
      signal: controller.signal,
      stopReason,
      tree,
      meter,
      runner: input.runner,
      timeoutMs: input.timeoutMs,
    };
    const dag = input.change
      ? runChange(ctx, { ...input.change, maxFixerPasses: input.maxFixerPasses })
      : runDag(ctx, { prompt: input.prompt, maxFixerPasses: input.maxFixerPasses });
    outcome = await unwoundWithin(dag, controller.signal, input.stopUnwindMs ?? STOP_UNWIND_MS, () => ({
      status: stoppedStatus(controller.signal),
      error: stopReason(),
    }));
  } catch (err) {
    log.error({ runId: run.id, err }, "run failed");
    outcome = controller.signal.aborted
      ? { status: stoppedStatus(controller.signal), error: stopReason() }
      : { status: "failed", error: "The run stopped on an internal error; what it had produced is saved." };
  }
  await finalize(input, emit, tree, outcome);
}

/** Aborts the run's controller once, with the reason its stop message and status are derived from. */
function abort(controller: AbortController, reason: AbortReason): void {
  if (!controller.signal.aborted) controller.abort(reason);
}

/** A run stopped by the user ends `canceled`; one stopped by its cap or its deadline ends `failed`. */
function stoppedStatus(signal: AbortSignal): "failed" | "canceled" {
  const reason = signal.reason as AbortReason;
  return reason === "cap" || reason === "deadline" ? "failed" : "canceled";
}

/**
 * The DAG's outcome — but once the run is stopped, the DAG gets STOP_UNWIND_MS
 * to wind down (model calls and runner commands abort at once; a runner that
 * stops answering would otherwise hold the run until its HTTP timeout); after
 * that the run is finalized with `stopped()` anyway, so the deadline bounds
 * the run's whole life. What the DAG still does afterwards is not saved,
 * cannot charge the settled reservation, and emits nothing (the emitter drops
 * events after the last one).
 */
async function unwoundWithin(
  dag: Promise<DagOutcome>,
  signal: AbortSignal,
  unwindMs: number,
  stopped: () => DagOutcome,
): Promise<DagOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const forced = new Promise<DagOutcome>((resolve) => {
    const arm = () => {
      timer = setTimeout(() => resolve(stopped()), unwindMs);
    };
    if (signal.aborted) arm();
    else {
      onAbort = arm;
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([dag, forced]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
    // A DAG abandoned by the race must not surface as an unhandled rejection.
    dag.catch(() => {});
  }
}

/** Each part runs even when an earlier one throws: the reservation is settled whatever happens. */
async function finalize(
  input: LaunchRunInput,
  emit: (event: RunEvent) => Promise<void>,
  tree: WorkingTree,
  outcome: DagOutcome,
): Promise<void> {
  const { store, userId, run } = input;
  const problems: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      problems.push(`${what}: ${messageOf(err)}`);
      return undefined;
    }
  };

  let version: number | null = null;
  const issues = outcome.status === "completed" ? outcome.issues : [];
  const changes = tree.diff();
  if (changes.files.length > 0 || changes.deletes.length > 0) {
    const message = input.change
      ? `${outcome.status !== "completed" ? `Partial change (${outcome.status})` : issues.length > 0 ? "Change with issues" : "Change"}: ${firstLine(input.change.request)}`
      : outcome.status !== "completed"
        ? `Partial generation (${outcome.status})`
        : issues.length > 0
          ? `Generated with issues: ${firstLine(input.prompt)}`
          : `Generated: ${firstLine(input.prompt)}`;
    const saved = await attempt("saving the files", () =>
      store.saveFiles(userId, run.projectId, { files: changes.files, deletes: changes.deletes, message }),
    );
    version = saved?.number ?? null;
  }

  const settled = await attempt("settling the reservation", () => store.settleReservation(run.reservationId));
  const spent = settled?.reservation.spent ?? 0;
  const refunded = settled?.refunded ?? 0;

  const failedToSave = version === null && (changes.files.length > 0 || changes.deletes.length > 0);
  const status =
    outcome.status === "completed" && !failedToSave
      ? issues.length > 0
        ? "completed_with_issues"
        : "completed"
      : outcome.status === "canceled"
        ? "canceled"
        : "failed";
  const error =
    outcome.status !== "completed"
      ? outcome.error
      : failedToSave
        ? "The generated files could not be saved."
        : issues.length > 0
          ? issues.map((issue) => issue.summary).join(" ")
          : undefined;

  await attempt("recording the run's status", () => store.finishRun(userId, run.id, { status, error: error ?? null }));
  await attempt("updating the project", () =>
    store.updateProject(userId, run.projectId, { status: status === "completed" || status === "completed_with_issues" ? status : "failed" }),
  );
  for (const problem of problems) log.error({ runId: run.id, problem }, "run finalize problem");
  const ended = { runId: run.id, projectId: run.projectId, status, spent, refunded, version, ...(error ? { error } : {}) };
  if (status === "completed") log.info(ended, "run ended");
  else log.warn(ended, "run ended");

  await emit(
    status === "completed" || status === "completed_with_issues"
      ? { type: "done", status, spent, refunded, version, issues }
      : { type: "failed", status, spent, refunded, error: error ?? "The run failed." },
  );
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
