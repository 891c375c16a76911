"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { PanelLoading } from "@/components/workspace/PanelStates";
import { useFixRequest } from "@/lib/client/fix-request";
import { filesKey } from "@/lib/client/query-keys";
import { fetchFiles } from "@/lib/client/workspace-api";
import { ChangeRequestForm } from "./ChangeRequestForm";
import { StartRunForm } from "./StartRunForm";

interface NewRunChooserProps {
  projectId: string;
  onStarted(runId: string): void;
}

type RunChoice = "change" | "rebuild";

/**
 * What starting a run means: a project with files is changed by default (a
 * change request), and rebuilt by the whole pipeline only when asked; a project
 * without files can only be generated.
 */
export function NewRunChooser({ projectId, onStarted }: NewRunChooserProps) {
  const files = useQuery({ queryKey: filesKey(projectId), queryFn: () => fetchFiles(projectId) });
  const [choice, setChoice] = useState<RunChoice>("change");
  // "Ask for a fix" is a change request: show its form even if Rebuild was chosen.
  useEffect(
    () =>
      useFixRequest.subscribe((state, previous) => {
        if (state.request !== previous.request) setChoice("change");
      }),
    [],
  );

  if (files.isPending) return <PanelLoading label="the project's files" />;
  // Unknown (the file list failed to load): offer both; the change endpoint answers no_files if there are none.
  const hasFiles = files.isError || files.data.files.length > 0;
  if (!hasFiles) return <StartRunForm projectId={projectId} onStarted={onStarted} />;

  return (
    <div className="space-y-4">
      <RunChoiceSwitch choice={choice} onChoose={setChoice} />
      {choice === "change" ? (
        <ChangeRequestForm projectId={projectId} onStarted={onStarted} />
      ) : (
        <StartRunForm projectId={projectId} onStarted={onStarted} />
      )}
    </div>
  );
}

const CHOICE_LABELS: Record<RunChoice, string> = { change: "Change", rebuild: "Rebuild" };

function RunChoiceSwitch({ choice, onChoose }: { choice: RunChoice; onChoose(choice: RunChoice): void }) {
  return (
    <div role="group" aria-label="Kind of run" className="inline-flex rounded-md border border-zinc-700 p-0.5 text-xs">
      {(Object.keys(CHOICE_LABELS) as RunChoice[]).map((option) => (
        <button
          key={option}
          type="button"
          aria-pressed={choice === option}
          onClick={() => onChoose(option)}
          className={`rounded px-3 py-1 font-semibold transition-colors ${
            choice === option ? "bg-zinc-800 text-zinc-50" : "text-zinc-400 hover:text-zinc-100"
          }`}
        >
          {CHOICE_LABELS[option]}
        </button>
      ))}
    </div>
  );
}
