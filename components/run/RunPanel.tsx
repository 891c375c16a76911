"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { useWorkspace } from "@/lib/client/workspace-store";
import { RunView } from "./RunView";
import { StartRunForm } from "./StartRunForm";

/**
 * The Run panel: the live view of the project's generation run (`?run=` in
 * the URL, or the workspace's activeRunId), or a form to start one.
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

  const runId = startingNew ? null : (startedRunId ?? urlRunId ?? activeRunId);

  /** Keeps the URL in step, so a reload or a shared link shows the same run. */
  function showRun(next: string | null) {
    const params = new URLSearchParams(searchParams.toString());
    if (next) params.set("run", next);
    else params.delete("run");
    const query = params.toString();
    router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
  }

  return (
    <section aria-label="Run" className="h-full overflow-auto p-4" data-project-id={projectId}>
      {runId ? (
        <RunView
          key={runId}
          projectId={projectId}
          runId={runId}
          onNewRun={() => {
            setStartingNew(true);
            setStartedRunId(null);
            setActiveRun(null);
            showRun(null);
          }}
        />
      ) : (
        <StartRunForm
          projectId={projectId}
          onStarted={(id) => {
            setActiveRun(id);
            setStartedRunId(id);
            setStartingNew(false);
            showRun(id);
          }}
        />
      )}
    </section>
  );
}
