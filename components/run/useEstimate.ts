"use client";

import { useEffect, useState } from "react";
import { postJson, type ApiProblem } from "@/lib/client/api-errors";

export interface Estimate {
  estimate: number;
  available: number;
  model: string;
}

export type EstimateState =
  | { status: "idle" }
  | { status: "loading"; previous: Estimate | null }
  | { status: "ready"; value: Estimate }
  | { status: "error"; problem: ApiProblem };

type Answer = { prompt: string } & ({ ok: true; value: Estimate } | { ok: false; problem: ApiProblem });

const DEBOUNCE_MS = 400;

/** The credits a run for `prompt` would reserve (POST /api/generations/estimate), refreshed as the prompt changes. */
export function useEstimate(prompt: string): EstimateState {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [lastValue, setLastValue] = useState<Estimate | null>(null);
  const trimmed = prompt.trim();

  useEffect(() => {
    if (!trimmed) return;
    const abort = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const result = await postJson<Estimate>("/api/generations/estimate", { prompt: trimmed }, abort.signal);
        if (abort.signal.aborted) return;
        if (result.ok) {
          setAnswer({ prompt: trimmed, ok: true, value: result.data });
          setLastValue(result.data);
        } else {
          setAnswer({ prompt: trimmed, ok: false, problem: result.problem });
        }
      } catch {
        // aborted: a newer prompt is being estimated
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [trimmed]);

  if (!trimmed) return { status: "idle" };
  if (answer?.prompt !== trimmed) return { status: "loading", previous: lastValue };
  return answer.ok ? { status: "ready", value: answer.value } : { status: "error", problem: answer.problem };
}

export function currentEstimate(state: EstimateState): Estimate | null {
  if (state.status === "ready") return state.value;
  if (state.status === "loading") return state.previous;
  return null;
}
