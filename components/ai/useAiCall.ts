"use client";

import { QueryClientContext } from "@tanstack/react-query";
import { useCallback, useContext, useEffect, useRef, useState } from "react";
import type { ApiProblem } from "@/lib/client/api-errors";
import { streamAi, type AiAction, type AiSummary } from "@/lib/client/ai-stream";
import { balanceKey } from "@/lib/client/query-keys";

export interface AiCallState {
  status: "idle" | "streaming" | "done" | "error";
  text: string;
  summary: AiSummary | null;
  problem: ApiProblem | null;
  /** A provider failed and the answer started over with the next one. */
  fellBack: string | null;
  /** The provider is being tried again (a sentence to show while waiting). */
  retrying: string | null;
}

const idle: AiCallState = { status: "idle", text: "", summary: null, problem: null, fellBack: null, retrying: null };

/** One streamed AI call at a time: start, stop, and what came back. */
export function useAiCall() {
  const queryClient = useContext(QueryClientContext);
  const [state, setState] = useState<AiCallState>(idle);
  const abortRef = useRef<AbortController | null>(null);

  useEffect(() => () => abortRef.current?.abort(), []);

  const run = useCallback(
    async (action: AiAction, body: unknown): Promise<AiCallState> => {
      abortRef.current?.abort();
      const abort = new AbortController();
      abortRef.current = abort;
      setState({ ...idle, status: "streaming" });
      const result = await streamAi(action, body, {
        signal: abort.signal,
        onText: (text) => setState((s) => ({ ...s, text, retrying: null })),
        onRetry: (message) => setState((s) => ({ ...s, retrying: message })),
        onProviderFailed: (provider) => setState((s) => ({ ...s, text: "", fellBack: provider, retrying: null })),
      });
      if (abortRef.current === abort) abortRef.current = null;
      const next: AiCallState = result.ok
        ? { status: "done", text: result.text, summary: result.summary, problem: null, fellBack: null, retrying: null }
        : { status: "error", text: result.text, summary: result.summary ?? null, problem: result.problem, fellBack: null, retrying: null };
      setState(next);
      void queryClient?.invalidateQueries({ queryKey: balanceKey() });
      return next;
    },
    [queryClient],
  );

  const stop = useCallback(() => abortRef.current?.abort(), []);
  const clear = useCallback(() => {
    abortRef.current?.abort();
    setState(idle);
  }, []);

  return { state, run, stop, clear };
}

/** Languages the API accepts as a name; anything else is sent as plain text. */
export function safeLanguage(language: string): string {
  return /^[\w#+.\- ]{1,40}$/.test(language) ? language : "plaintext";
}

export const MAX_CODE_BYTES = 100 * 1024;

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
