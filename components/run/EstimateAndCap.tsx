"use client";

import { SpendCapField } from "./SpendCapField";
import { currentEstimate, type EstimateState } from "./useEstimate";

interface EstimateAndCapProps {
  estimate: EstimateState;
  /** The cap as typed ("" = no cap). */
  cap: string;
  onCapChange(cap: string): void;
  capError?: string;
}

/** Validates the cap as typed; returns the number to send (undefined = no cap) or an error. */
export function parseCap(raw: string, available: number | null): { cap?: number; error?: string } {
  const text = raw.trim();
  if (!text) return {};
  if (!/^\d+$/.test(text) || Number(text) < 1) return { error: "The cap must be a whole number of credits, at least 1." };
  const cap = Number(text);
  if (available !== null && cap > available) return { error: `The cap cannot be more than your balance (${available} credits).` };
  return { cap };
}

/** The estimate shown before a run, and the optional spend cap. */
export function EstimateAndCap({ estimate, cap, onCapChange, capError }: EstimateAndCapProps) {
  const value = currentEstimate(estimate);
  const short = value !== null && value.available < value.estimate;

  return (
    <div className="space-y-3">
      {/* No model: the picker above says where to add one, and there is nothing to estimate. */}
      {!(estimate.status === "error" && estimate.problem.kind === "no_provider") && (
        <div aria-live="polite" className="rounded-md border border-zinc-800 bg-zinc-950/60 p-3 text-sm" data-testid="run-estimate">
          {estimate.status === "idle" && <p className="text-zinc-500">Describe the app to see what it will cost.</p>}
          {estimate.status === "error" && estimate.problem.kind !== "no_provider" && <p className="text-red-400">{estimate.problem.message}</p>}
          {value && (
            <div className={estimate.status === "loading" ? "opacity-60" : undefined}>
              <p className="text-zinc-200">
                Estimated cost: <strong className="text-zinc-50">up to {value.estimate} credit{value.estimate === 1 ? "" : "s"}</strong>
                <span className="text-zinc-500"> · you have {value.available}</span>
              </p>
              <p className="mt-1 text-xs text-zinc-500">
                Model {value.model}. The estimate is reserved when the run starts; what it does not use is refunded at the end.
              </p>
              {short && (
                <p className="mt-1 text-xs text-amber-300">
                  Your balance is below the estimate: set a cap of at most {value.available} credits (the run stops there) or buy
                  credits.
                </p>
              )}
            </div>
          )}
          {estimate.status === "loading" && !value && <p className="text-zinc-500">Estimating…</p>}
        </div>
      )}
      <SpendCapField cap={cap} onCapChange={onCapChange} available={value?.available} capError={capError} />
    </div>
  );
}
