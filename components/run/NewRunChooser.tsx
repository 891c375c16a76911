"use client";

import { useQuery } from "@tanstack/react-query";
import { PanelLoading } from "@/components/workspace/PanelStates";
import { buttonSecondary } from "@/components/ui/styles";
import { filesKey } from "@/lib/client/query-keys";
import { fetchFiles } from "@/lib/client/workspace-api";
import { useWorkspace } from "@/lib/client/workspace-store";
import { StartRunForm } from "./StartRunForm";

interface NewRunChooserProps {
  projectId: string;
  onStarted(runId: string): void;
}

/**
 * Starting a run here means the whole pipeline: generating the app, or rebuilding one that has files.
 * Changes to part of an app are asked for in the chat, which points there first.
 */
export function NewRunChooser({ projectId, onStarted }: NewRunChooserProps) {
  const files = useQuery({ queryKey: filesKey(projectId), queryFn: () => fetchFiles(projectId) });
  const showPanel = useWorkspace((s) => s.showPanel);

  if (files.isPending) return <PanelLoading label="the project's files" />;
  const hasFiles = files.isSuccess && files.data.files.length > 0;
  return (
    <div className="space-y-4">
      {hasFiles && (
        <div className="rounded-md border border-zinc-800 bg-zinc-900/60 p-3 text-sm text-zinc-300" data-testid="rebuild-note">
          <p>
            To change part of the app, ask in the chat: only the files the change is about are read and rewritten, so it costs a
            fraction of a rebuild.
          </p>
          <button type="button" onClick={() => showPanel("chat")} className={`${buttonSecondary} mt-2 px-3 py-1 text-xs`}>
            Open the chat
          </button>
        </div>
      )}
      <StartRunForm projectId={projectId} onStarted={onStarted} />
    </div>
  );
}
