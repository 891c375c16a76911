"use client";

import { useId, useState, type FormEvent } from "react";
import { ModelPicker, useRequestModel } from "@/components/ai/ModelPicker";
import { useProjectDetails, useProjectModel } from "@/components/ai/useProjectModel";
import { buttonPrimary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { postJson } from "@/lib/client/api-errors";
import { PROJECT_PROMPT_MAX } from "@/lib/projects/limits";
import { EstimateAndCap, parseCap } from "./EstimateAndCap";
import { InsufficientCredits } from "./InsufficientCredits";
import { currentEstimate, useEstimate } from "./useEstimate";

interface StartRunFormProps {
  projectId: string;
  onStarted(runId: string): void;
}

/** Starts a generation for an existing project: the prompt (prefilled with the project's), the estimate, the cap. */
export function StartRunForm({ projectId, onStarted }: StartRunFormProps) {
  const id = useId();
  const [typed, setTyped] = useState<string | null>(null);
  const details = useProjectDetails(projectId);
  // Prefilled with what the project was created with, until the user types.
  const prompt = typed ?? (details.data?.prompt || details.data?.description || "");
  const { model, choose: chooseModel } = useProjectModel(projectId);
  const requestModel = useRequestModel(model);
  const [cap, setCap] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ field?: "prompt" | "cap"; message: string } | null>(null);
  const [short, setShort] = useState<{ required: number; available: number } | null>(null);
  const estimate = useEstimate(prompt, requestModel);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const text = prompt.trim();
    setShort(null);
    if (!text) return setError({ field: "prompt", message: "Describe the app to generate." });
    const parsed = parseCap(cap, currentEstimate(estimate)?.available ?? null);
    if (parsed.error) return setError({ field: "cap", message: parsed.error });
    setError(null);
    setPending(true);
    try {
      const result = await postJson<{ runId: string }>("/api/generations", {
        projectId,
        prompt: text,
        ...(parsed.cap !== undefined ? { cap: parsed.cap } : {}),
        ...(requestModel ? { model: requestModel } : {}),
      });
      if (result.ok) return onStarted(result.data.runId);
      const problem = result.problem;
      if (problem.kind === "insufficient_credits") setShort({ required: problem.required, available: problem.available });
      else setError({ message: problem.message });
    } catch {
      setError({ message: "Could not reach the server. Check your connection and try again." });
    }
    setPending(false);
  }

  return (
    <form onSubmit={onSubmit} noValidate aria-busy={pending} className="space-y-4" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="text-sm font-semibold text-zinc-100">
        Generate this project
      </h3>
      <div>
        <label htmlFor={`${id}-prompt`} className={fieldLabel}>
          Describe the app
        </label>
        <textarea
          id={`${id}-prompt`}
          rows={6}
          value={prompt}
          maxLength={PROJECT_PROMPT_MAX}
          onChange={(e) => setTyped(e.target.value)}
          placeholder="A to-do list with due dates and reminders"
          className={fieldInput}
          aria-invalid={error?.field === "prompt" ? true : undefined}
          aria-describedby={error?.field === "prompt" ? `${id}-prompt-error` : undefined}
        />
        {error?.field === "prompt" && (
          <p id={`${id}-prompt-error`} role="alert" className="mt-1 text-sm text-red-400">
            {error.message}
          </p>
        )}
        <p className="mt-1 text-xs text-zinc-500">The roles rewrite the project&apos;s files; every run is saved as a new version you can restore.</p>
      </div>
      <ModelPicker value={model} onChange={chooseModel} />
      <EstimateAndCap estimate={estimate} cap={cap} onCapChange={setCap} capError={error?.field === "cap" ? error.message : undefined} />
      {short && <InsufficientCredits {...short} />}
      {error && !error.field && (
        <p role="alert" className="text-sm text-red-400">
          {error.message}
        </p>
      )}
      <button type="submit" className={buttonPrimary} disabled={pending}>
        {pending ? "Starting…" : "Start generation"}
      </button>
    </form>
  );
}
