"use client";

import { useEffect, useState } from "react";
import { postJson, type ApiProblem } from "@/lib/client/api-errors";

export interface Estimate {
  estimate: number;
  available: number;
  model: string;
}

export type EstimateState<T = Estimate> =
  | { status: "idle" }
  | { status: "loading"; previous: T | null }
  | { status: "ready"; value: T }
  | { status: "error"; problem: ApiProblem };

type Answer<T> = { url: string; prompt: string } & ({ ok: true; value: T } | { ok: false; problem: ApiProblem });

const DEBOUNCE_MS = 400;

/** The credits a run for `prompt` would reserve (POST /api/generations/estimate), refreshed as the prompt changes. */
export function useEstimate(prompt: string): EstimateState {
  return useDebouncedEstimate<Estimate>("/api/generations/estimate", "prompt", prompt);
}

/** POSTs `{ [field]: text.trim() }` to `url` once typing pauses; the answer for the current text, or the last one while loading. */
export function useDebouncedEstimate<T>(url: string, field: string, text: string): EstimateState<T> {
  const [answer, setAnswer] = useState<Answer<T> | null>(null);
  const [lastValue, setLastValue] = useState<T | null>(null);
  const trimmed = text.trim();

  useEffect(() => {
    if (!trimmed) return;
    const abort = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const result = await postJson<T>(url, { [field]: trimmed }, abort.signal);
        if (abort.signal.aborted) return;
        if (result.ok) {
          setAnswer({ url, prompt: trimmed, ok: true, value: result.data });
          setLastValue(result.data);
        } else {
          setAnswer({ url, prompt: trimmed, ok: false, problem: result.problem });
        }
      } catch {
        // aborted: a newer prompt is being estimated
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [url, field, trimmed]);

  if (!trimmed) return { status: "idle" };
  if (answer?.prompt !== trimmed || answer.url !== url) return { status: "loading", previous: lastValue };
  return answer.ok ? { status: "ready", value: answer.value } : { status: "error", problem: answer.problem };
}

export function currentEstimate<T>(state: EstimateState<T>): T | null {
  if (state.status === "ready") return state.value;
  if (state.status === "loading") return state.previous;
  return null;
}
