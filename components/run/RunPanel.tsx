"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { useWorkspace } from "@/lib/client/workspace-store";
import { NewRunChooser } from "./NewRunChooser";
import { RunView } from "./RunView";
import { useLatestRun } from "./useLatestRun";

/**
 * The Run panel: the live view of the project's run — a generation or a change
 * request — (`?run=` in the URL, the workspace's activeRunId, or else the
 * project's newest run), or the form to start a generation (or a rebuild).
 */
export default function RunPanel({ projectId }: { projectId: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const urlRunId = searchParams.get("run");
  const activeRunId = useWorkspace((s) => s.activeRunId);
  const setActiveRun = useWorkspace((s) => s.setActiveRun);
  /** "New run" was clicked: show the form even though the URL still names the last run. */
  const [startingNew, setStartingNew] = useState(false);
  /** The run just started here, shown before the URL catches up (router.replace is not immediate). */
  const [startedRunId, setStartedRunId] = useState<string | null>(null);

  useEffect(() => {
    if (urlRunId && urlRunId !== useWorkspace.getState().activeRunId) setActiveRun(urlRunId);
  }, [urlRunId, setActiveRun]);

  const namedRunId = startingNew ? null : (startedRunId ?? urlRunId ?? activeRunId);
  // Opened without a run named: the one going on (or the last one's result) rather than a start form that would answer 409.
  const latest = useLatestRun(projectId, !startingNew && namedRunId === null);
  const latestRunId = latest.state === "found" ? (latest.run?.id ?? null) : null;
  const runId = namedRunId ?? latestRunId;

  useEffect(() => {
    if (latestRunId && !useWorkspace.getState().activeRunId) setActiveRun(latestRunId);
  }, [latestRunId, setActiveRun]);

  /** Keeps the URL in step, so a reload or a shared link shows the same run. */
  function showRun(next: string | null) {
    const params = new URLSearchParams(searchParams.toString());
    if (next) params.set("run", next);
    else params.delete("run");
    const query = params.toString();
    router.replace(query ? `${pathname}?${query}` : pathname, {
      scroll: false,
    });
  }

  function startNewRun() {
    setStartingNew(true);
    setStartedRunId(null);
    setActiveRun(null);
    showRun(null);
  }

  return (
    <section aria-label="Run" className="h-full overflow-auto p-4" data-project-id={projectId}>
      {latest.state === "loading" && !runId ? (
        <p role="status" className="text-sm text-zinc-400" data-testid="run-loading">
          Checking for a generation in progress…
        </p>
      ) : runId ? (
        <RunView
          key={runId}
          projectId={projectId}
          runId={runId}
          onNewRun={startNewRun}
        />
      ) : (
        <>
          {latest.state === "error" && (
            <p role="status" className="mb-3 text-xs text-amber-300">
              Could not check whether a generation is already running ({latest.message}).
            </p>
          )}
          <NewRunChooser
            projectId={projectId}
            onStarted={(id) => {
              setActiveRun(id);
              setStartedRunId(id);
              setStartingNew(false);
              showRun(id);
            }}
          />
        </>
      )}
    </section>
  );
}
