import type { RunnerClient } from "@/lib/sandbox/client";
import type { Id, Run, Store } from "@/lib/store/types";
import { runDag, type DagOutcome } from "../orchestrator";
import type { ProviderCandidate, RunEvent } from "../types";
import { Meter } from "./meter";
import { createEmitter, registerRun, unregisterRun, type LiveRun } from "./registry";
import type { RunContext, StreamFn } from "./run-context";
import { WorkingTree } from "./working-tree";

/**
 * One run from start to end, on the server: executes the DAG, then ALWAYS
 * saves what was produced as a version, settles the reservation (refunding
 * the rest), records the run's final status and emits its last event —
 * whether it completed, failed or was canceled.
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
  void executeRun(input, live)
    .catch((err) => console.error("[autocrea] run", input.run.id, "could not finish cleanly:", messageOf(err)))
    .finally(() => {
      unregisterRun(input.run.id);
      resolveFinished();
    });
  return live;
}

async function executeRun(input: LaunchRunInput, live: LiveRun): Promise<void> {
  const { store, userId, run } = input;
  const emit = createEmitter(store, userId, run.id, () => live.subscribers);
  const controller = live.controller;
  const stopReason = () => (controller.signal.reason === "cap" ? capMessage(run.cap) : CANCELED_MESSAGE);

  let tree = new WorkingTree();
  let meter: Meter | undefined;
  let outcome: DagOutcome;
  try {
    tree = new WorkingTree(await store.listFiles(userId, run.projectId));
    meter = new Meter(store, run.reservationId, run.cap, input.candidates, emit, () => controller.abort("cap"));
    await emit({ type: "run_started", runId: run.id, projectId: run.projectId, reserved: run.cap, estimate: run.estimate });
    const ctx: RunContext = {
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
    outcome = await runDag(ctx, { prompt: input.prompt, maxFixerPasses: input.maxFixerPasses });
  } catch (err) {
    console.error("[autocrea] run", run.id, "failed:", messageOf(err));
    outcome = controller.signal.aborted
      ? { status: controller.signal.reason === "cap" ? "failed" : "canceled", error: stopReason() }
      : { status: "failed", error: "The run stopped on an internal error; what it had produced is saved." };
  }
  await finalize(input, emit, tree, outcome);
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
  const changes = tree.diff();
  if (changes.files.length > 0 || changes.deletes.length > 0) {
    const message =
      outcome.status === "completed" ? `Generated: ${firstLine(input.prompt)}` : `Partial generation (${outcome.status})`;
    const saved = await attempt("saving the files", () =>
      store.saveFiles(userId, run.projectId, { files: changes.files, deletes: changes.deletes, message }),
    );
    version = saved?.number ?? null;
  }

  const settled = await attempt("settling the reservation", () => store.settleReservation(run.reservationId));
  const spent = settled?.reservation.spent ?? 0;
  const refunded = settled?.refunded ?? 0;

  const failedToSave = version === null && (changes.files.length > 0 || changes.deletes.length > 0);
  const status = outcome.status === "completed" && !failedToSave ? "completed" : outcome.status === "canceled" ? "canceled" : "failed";
  const error =
    outcome.status !== "completed" ? outcome.error : failedToSave ? "The generated files could not be saved." : undefined;

  await attempt("recording the run's status", () => store.finishRun(userId, run.id, { status, error: error ?? null }));
  await attempt("updating the project", () =>
    store.updateProject(userId, run.projectId, { status: status === "completed" ? "completed" : "failed" }),
  );
  for (const problem of problems) console.error("[autocrea] run", run.id, "finalize:", problem);

  await emit(
    status === "completed"
      ? { type: "done", status, spent, refunded, version }
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
