import { log } from "@/lib/log";
import { isStoreError, type Id, type Run, type RunStatus, type Store } from "@/lib/store";
import { INTERRUPTED_MESSAGE, isPastRunBound } from "./deadline";
import { getLiveRun } from "./registry";
import { runLimits } from "./start";

/**
 * Closing runs that are marked `running` but that this process does not
 * execute: on cancel (lib/ai/runs/service.ts) and, on any read, when the run is
 * past the bound no run can legitimately outlive (lib/ai/runs/deadline.ts) —
 * it was orphaned by a restart.
 */

export interface AbandonedRunEnding {
  status: Extract<RunStatus, "failed" | "canceled">;
  error: string;
}

/**
 * Settles the run's reservation (refunding what it did not spend), marks it
 * finished, sets its project failed and appends its `failed` event.
 *
 * Safe when several requests (on any instance) close the same run at once:
 * settling is idempotent in the store (a second settle refunds nothing and
 * returns the first result), and finishing a finished run is a "conflict" —
 * only the closer whose finishRun succeeded updates the project and appends
 * the event; the others get the run as it now is. The same holds when the
 * run's own process finishes it meanwhile.
 */
export async function closeAbandonedRun(store: Store, userId: Id, run: Run, ending: AbandonedRunEnding): Promise<Run> {
  const settled = await store.settleReservation(run.reservationId);
  let finished: Run;
  try {
    finished = await store.finishRun(userId, run.id, { status: ending.status, error: ending.error });
  } catch (err) {
    if (!isStoreError(err, "conflict")) throw err;
    const current = await store.getRun(userId, run.id);
    if (!current) throw err;
    return current;
  }
  try {
    await store.updateProject(userId, run.projectId, { status: "failed" });
  } catch (err) {
    // The run's ending matters more than the project's badge: still record the event.
    log.error({ runId: run.id, err }, "run closed, but its project's status was not updated");
  }
  await store.appendRunEvent(userId, run.id, {
    type: "failed",
    status: ending.status,
    spent: settled.reservation.spent,
    refunded: settled.refunded,
    error: ending.error,
  });
  return finished;
}

/** True when the run is `running`, not executing here, and past the bound no live run can reach. */
export function isOrphaned(run: Run): boolean {
  if (run.status !== "running" || getLiveRun(run.userId, run.id)) return false;
  const { maxDurationMs, now } = runLimits();
  return isPastRunBound(run.createdAt, now(), maxDurationMs);
}

/**
 * The run as a read should see it: an orphaned run (see isOrphaned) is closed
 * first as failed with INTERRUPTED_MESSAGE; any other run is returned as is.
 * A running run younger than the bound is never touched here — another
 * instance may be executing it.
 */
export async function closeIfOrphaned(store: Store, userId: Id, run: Run): Promise<Run> {
  if (!isOrphaned(run)) return run;
  return closeAbandonedRun(store, userId, run, { status: "failed", error: INTERRUPTED_MESSAGE });
}
