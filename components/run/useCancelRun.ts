"use client";

import { useState } from "react";

/** POST /api/generations/:runId/cancel, with its pending state and a sentence when it fails. */
export function useCancelRun(runId: string) {
  const [state, setState] = useState<{ pending: boolean; error: string | null }>({ pending: false, error: null });
  async function cancel() {
    setState({ pending: true, error: null });
    try {
      const response = await fetch(`/api/generations/${encodeURIComponent(runId)}/cancel`, { method: "POST" });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { message?: string } | null;
        setState({ pending: false, error: body?.message ?? `Could not cancel (HTTP ${response.status}).` });
        return;
      }
      setState({ pending: false, error: null });
    } catch {
      setState({ pending: false, error: "Could not reach the server to cancel." });
    }
  }
  return { ...state, cancel };
}
