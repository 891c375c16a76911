"use client";

import { currentEstimate, useDebouncedEstimate, type Estimate, type EstimateState } from "./useEstimate";

/** What a change request would reserve, and the files the editor would read (POST /api/projects/:id/changes/estimate). */
export interface ChangeEstimateValue extends Estimate {
  /** What it costs when the checks pass without a fix (`estimate` is the most, and what is reserved). */
  likely: number;
  files: string[];
}

const NAMED_FILES = 5;

const credits = (n: number) => `${n} ${n === 1 ? "credit" : "credits"}`;

/** "About 2 credits, at most 9 with fixes · reads 7 files: a, b, c, d, e and 2 more". */
export function changeEstimateLine({ estimate, likely, files }: Pick<ChangeEstimateValue, "estimate" | "likely" | "files">): string {
  const cost = likely < estimate ? `About ${credits(likely)}, at most ${estimate} with fixes` : `About ${credits(estimate)}`;
  if (files.length === 0) return `${cost} · reads no files`;
  const named = files.slice(0, NAMED_FILES).join(", ");
  const more = files.length > NAMED_FILES ? ` and ${files.length - NAMED_FILES} more` : "";
  return `${cost} · reads ${files.length} ${files.length === 1 ? "file" : "files"}: ${named}${more}`;
}

/** The change's estimate for `request` with `model`, refreshed (debounced) as either changes. Nothing is reserved by asking. */
export function useChangeEstimate(projectId: string, request: string, model?: string): EstimateState<ChangeEstimateValue> {
  return useDebouncedEstimate<ChangeEstimateValue>(`/api/projects/${encodeURIComponent(projectId)}/changes/estimate`, "request", request, model);
}

/** The estimate line under the request: nothing until something is typed, dimmed while a newer one loads. */
export function ChangeEstimate({ estimate }: { estimate: EstimateState<ChangeEstimateValue> }) {
  if (estimate.status === "idle") return null;
  const value = currentEstimate(estimate);
  const short = value !== null && value.available < value.estimate;
  return (
    <div aria-live="polite" className="mt-2 text-sm" data-testid="change-estimate">
      {/* No model: the picker beside says where to add one. */}
      {estimate.status === "error" && estimate.problem.kind !== "no_provider" && <p className="text-red-400">{estimate.problem.message}</p>}
      {value && (
        <div className={estimate.status === "loading" ? "opacity-60" : undefined}>
          <p className="text-zinc-200">{changeEstimateLine(value)}</p>
          <p className="mt-1 text-xs text-zinc-500">
            Model {value.model} · you have {value.available}. The most it may cost is reserved when the change starts; what it does not
            use is refunded.
          </p>
          {short && (
            <p className="mt-1 text-xs text-amber-300">
              Your balance is below the estimate: set a cap of at most {value.available} credits (the change stops there) or buy credits.
            </p>
          )}
        </div>
      )}
      {estimate.status === "loading" && !value && <p className="text-zinc-500">Estimating…</p>}
    </div>
  );
}
