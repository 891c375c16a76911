"use client";

import { useEffect, useState } from "react";

export interface LatestRun {
  id: string;
  status: "running" | "completed" | "completed_with_issues" | "failed" | "canceled";
  createdAt: number;
  finishedAt: number | null;
}

export type LatestRunLookup =
  { state: "idle" } | { state: "loading" } | { state: "found"; run: LatestRun | null } | { state: "error"; message: string };

/**
 * The project's newest run (GET /api/projects/:id/runs/latest), asked once
 * when `enabled` — a workspace opened without `?run=` — so a run going on, or
 * the last one's result, is shown instead of an empty start form.
 */
export function useLatestRun(projectId: string, enabled: boolean): LatestRunLookup {
  const [lookup, setLookup] = useState<LatestRunLookup>({ state: "loading" });

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    (async () => {
      try {
        const response = await fetch(`/api/projects/${encodeURIComponent(projectId)}/runs/latest`, {
          cache: "no-store",
          signal: controller.signal,
        });
        if (!response.ok) {
          const body = (await response.json().catch(() => null)) as {
            message?: string;
          } | null;
          throw new Error(body?.message ?? `HTTP ${response.status}`);
        }
        const { run } = (await response.json()) as { run: LatestRun | null };
        if (!controller.signal.aborted) setLookup({ state: "found", run });
      } catch (err) {
        if (controller.signal.aborted) return;
        setLookup({
          state: "error",
          message: err instanceof Error ? err.message : String(err),
        });
      }
    })();
    return () => controller.abort();
  }, [projectId, enabled]);

  return enabled ? lookup : { state: "idle" };
}
