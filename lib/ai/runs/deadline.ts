/**
 * How long a run may take, and the rule that follows from it for runs no
 * process executes any more.
 *
 * Every run is aborted RUN_MAX_DURATION_MS after it starts (like a cancel, but
 * it ends `failed`); once stopped, its steps get STOP_UNWIND_MS to wind down
 * before the run is finalized regardless. So no run can legitimately still be
 * `running` at `createdAt + RUN_MAX_DURATION_MS + RUN_SETTLE_GRACE_MS`: a read
 * that finds one past that bound, not live in its own process, may close it on
 * any instance (lib/ai/runs/abandoned.ts) — it was orphaned by a restart.
 */

export const RUN_MAX_DURATION_MS = 30 * 60_000;

/** After the deadline: time for the run's own ending (STOP_UNWIND_MS of unwinding, then saving and settling) before others may close it. */
export const RUN_SETTLE_GRACE_MS = 2 * 60_000;

/** Once a run is stopped (cancel, cap, deadline), how long its steps may take to unwind before it is finalized anyway. */
export const STOP_UNWIND_MS = 15_000;

/** Why a run's AbortController was aborted (`controller.abort(reason)`). */
export type AbortReason = "canceled" | "cap" | "deadline";

function duration(ms: number): string {
  if (ms >= 60_000) {
    const minutes = Math.round(ms / 60_000);
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  const seconds = Math.max(1, Math.round(ms / 1000));
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

/** The error of a run stopped by its deadline. */
export function deadlineMessage(maxDurationMs: number = RUN_MAX_DURATION_MS): string {
  return `The run took longer than ${duration(maxDurationMs)} and was stopped; unspent credits were refunded.`;
}

/** The error of a run closed on read because no process executes it any more. */
export const INTERRUPTED_MESSAGE =
  "Interrupted: the server restarted while this run was in progress; unspent credits were refunded.";

/** True when a run created at `createdAt` can no longer be executing anywhere. */
export function isPastRunBound(createdAt: number, now: number, maxDurationMs: number = RUN_MAX_DURATION_MS): boolean {
  return now >= createdAt + maxDurationMs + RUN_SETTLE_GRACE_MS;
}
