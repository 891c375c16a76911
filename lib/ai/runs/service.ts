import { notFound } from "@/lib/http/errors";
import { getStore, type GenerationStep, type Id, type Run } from "@/lib/store";
import { closeAbandonedRun, closeIfOrphaned } from "./abandoned";
import { CANCELED_MESSAGE } from "./execute";
import { getLiveRun } from "./registry";

/**
 * Reading and canceling runs for the signed-in user; another user's run is a
 * 404. Every read closes a run orphaned by a restart first (closeIfOrphaned).
 */

const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export async function getOwnedRun(userId: Id, runId: string): Promise<Run> {
  const store = await getStore();
  const run = RUN_ID_PATTERN.test(runId) ? await store.getRun(userId, runId) : null;
  if (!run) throw notFound("Run");
  return closeIfOrphaned(store, userId, run);
}

export async function getRunWithSteps(userId: Id, runId: string): Promise<{ run: Run; steps: GenerationStep[] }> {
  const run = await getOwnedRun(userId, runId);
  const steps = await (await getStore()).listGenerationSteps(userId, run.id);
  return { run, steps };
}

/**
 * Cancels a run. A run executing here is aborted and finishes itself
 * (settling its reservation). A run marked running that no process executes
 * any more (the server restarted) is closed here: refunded and marked canceled.
 */
export async function cancelRun(userId: Id, runId: string): Promise<Run> {
  const run = await getOwnedRun(userId, runId);
  if (run.status !== "running") return run;
  const live = getLiveRun(userId, run.id);
  if (live) {
    live.controller.abort("canceled");
    await live.finished;
    return getOwnedRun(userId, run.id);
  }
  return closeAbandonedRun(await getStore(), userId, run, { status: "canceled", error: CANCELED_MESSAGE });
}
