"use client";

import { useId } from "react";
import { fieldInput, fieldLabel } from "@/components/ui/styles";

interface SpendCapFieldProps {
  /** The cap as typed ("" = no cap). */
  cap: string;
  onCapChange(cap: string): void;
  /** The balance, when known: the most the cap may be. */
  available?: number;
  capError?: string;
}

/** The optional spend cap of a run. */
export function SpendCapField({ cap, onCapChange, available, capError }: SpendCapFieldProps) {
  const id = useId();
  return (
    <div>
      <label htmlFor={`${id}-cap`} className={fieldLabel}>
        Spend cap <span className="font-normal text-zinc-500">(optional, credits)</span>
      </label>
      <input
        id={`${id}-cap`}
        name="cap"
        type="number"
        inputMode="numeric"
        min={1}
        max={available}
        step={1}
        value={cap}
        onChange={(e) => onCapChange(e.target.value)}
        placeholder="no cap"
        className={`${fieldInput} max-w-40`}
        aria-invalid={capError ? true : undefined}
        aria-describedby={`${id}-cap-help${capError ? ` ${id}-cap-error` : ""}`}
      />
      <p id={`${id}-cap-help`} className="mt-1 text-xs text-zinc-500">
        The run never spends more than this. Below the estimate, it stops when the cap is reached and keeps the files written so far.
      </p>
      {capError && (
        <p id={`${id}-cap-error`} role="alert" className="mt-1 text-sm text-red-400">
          {capError}
        </p>
      )}
    </div>
  );
}
