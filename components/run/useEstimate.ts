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

type Answer<T> = { url: string; prompt: string; model: string | undefined } & ({ ok: true; value: T } | { ok: false; problem: ApiProblem });

const DEBOUNCE_MS = 400;

/** The credits a run for `prompt` with `model` would reserve (POST /api/generations/estimate), refreshed as either changes. */
export function useEstimate(prompt: string, model?: string): EstimateState {
  return useDebouncedEstimate<Estimate>("/api/generations/estimate", "prompt", prompt, model);
}

/**
 * POSTs `{ [field]: text.trim(), model? }` to `url` once typing (or picking) pauses; the answer for the
 * current text and model, or the last one while loading.
 */
export function useDebouncedEstimate<T>(url: string, field: string, text: string, model?: string): EstimateState<T> {
  const [answer, setAnswer] = useState<Answer<T> | null>(null);
  const [lastValue, setLastValue] = useState<T | null>(null);
  const trimmed = text.trim();

  useEffect(() => {
    if (!trimmed) return;
    const abort = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const result = await postJson<T>(url, { [field]: trimmed, ...(model ? { model } : {}) }, abort.signal);
        if (abort.signal.aborted) return;
        if (result.ok) {
          setAnswer({ url, prompt: trimmed, model, ok: true, value: result.data });
          setLastValue(result.data);
        } else {
          setAnswer({ url, prompt: trimmed, model, ok: false, problem: result.problem });
        }
      } catch {
        // aborted: a newer prompt or model is being estimated
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [url, field, trimmed, model]);

  if (!trimmed) return { status: "idle" };
  if (answer?.prompt !== trimmed || answer.url !== url || answer.model !== model) return { status: "loading", previous: lastValue };
  return answer.ok ? { status: "ready", value: answer.value } : { status: "error", problem: answer.problem };
}

export function currentEstimate<T>(state: EstimateState<T>): T | null {
  if (state.status === "ready") return state.value;
  if (state.status === "loading") return state.previous;
  return null;
}
