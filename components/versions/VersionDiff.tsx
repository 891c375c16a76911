"use client";

import { DiffEditor } from "@monaco-editor/react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { configureMonaco, EDITOR_OPTIONS, monacoLanguage } from "@/components/editor/monaco-setup";
import { buttonSecondary } from "@/components/ui/styles";
import { PanelError, PanelLoading } from "@/components/workspace/PanelStates";
import { errorMessage } from "@/lib/client/api";
import { versionKey, versionsKey } from "@/lib/client/query-keys";
import { restoreConfirmation, useRestoreVersion } from "@/lib/client/use-restore-version";
import { diffFileSets, type ChangeKind } from "@/lib/client/version-changes";
import { fetchVersion, fetchVersions } from "@/lib/client/workspace-api";
import { languageForPath, utf8ByteLength } from "@/lib/files/paths";
import { DISPLAY_LIMIT_BYTES, looksBinary } from "@/lib/workspace/file-view";

const KIND_STYLE: Record<ChangeKind, { mark: string; tone: string; label: string }> = {
  added: { mark: "A", tone: "text-emerald-300", label: "added since" },
  removed: { mark: "D", tone: "text-red-300", label: "removed since" },
  modified: { mark: "M", tone: "text-amber-300", label: "changed since" },
};

interface VersionDiffProps {
  projectId: string;
  number: number;
  onClose(): void;
  onRestored(): void;
}

/** Monaco diff of version `number` (left) against the current version (right), file by file. */
export default function VersionDiff({ projectId, number, onClose, onRestored }: VersionDiffProps) {
  const versions = useQuery({ queryKey: versionsKey(projectId), queryFn: () => fetchVersions(projectId) });
  const current = versions.data?.[0]?.number;
  const selected = useQuery({
    queryKey: versionKey(projectId, number),
    queryFn: () => fetchVersion(projectId, number),
  });
  const latest = useQuery({
    queryKey: versionKey(projectId, current ?? 0),
    queryFn: () => fetchVersion(projectId, current!),
    enabled: current !== undefined,
  });
  const restore = useRestoreVersion(projectId);
  const [chosen, setChosen] = useState<string | null>(null);

  const failed = [versions, selected, latest].find((q) => q.isError);
  if (failed) {
    return (
      <PanelError
        message={`Could not load version ${number}: ${errorMessage(failed.error)}`}
        onRetry={() => void Promise.all([versions.refetch(), selected.refetch(), latest.refetch()])}
      />
    );
  }
  if (!selected.data || !latest.data || current === undefined) return <PanelLoading label={`version ${number}`} />;

  const changes = diffFileSets(selected.data.files, latest.data.files);
  const active = changes.find((c) => c.path === chosen) ?? changes.find((c) => c.kind === "modified") ?? changes[0];
  const isCurrent = number === current;

  return (
    <div className="flex h-full min-h-0 flex-col" data-testid="version-diff">
      <div className="flex shrink-0 flex-wrap items-center gap-2 border-b border-zinc-800 px-3 py-1.5 text-xs">
        <h2 className="font-semibold text-zinc-100">
          v{number} → current (v{current})
        </h2>
        <span className="truncate text-zinc-400" title={selected.data.version.message}>
          {selected.data.version.message}
        </span>
        <div className="ml-auto flex items-center gap-2">
          {restore.isError && (
            <span role="alert" className="text-red-300">
              Restore failed: {errorMessage(restore.error)}
            </span>
          )}
          {!isCurrent && (
            <button
              type="button"
              disabled={restore.isPending}
              onClick={() => {
                if (!window.confirm(restoreConfirmation(number))) return;
                restore.mutate(number, { onSuccess: onRestored });
              }}
              className={`${buttonSecondary} px-3 py-1 text-xs`}
            >
              {restore.isPending ? "Restoring…" : `Restore v${number}`}
            </button>
          )}
          <button type="button" onClick={onClose} className={`${buttonSecondary} px-3 py-1 text-xs`}>
            Back to editor
          </button>
        </div>
      </div>
      {changes.length === 0 ? (
        <p className="p-6 text-center text-sm text-zinc-400">
          {isCurrent
            ? "This is the current version."
            : `No differences: v${number} has the same files as the current version.`}
        </p>
      ) : (
        <div className="flex min-h-0 flex-1">
          <ul aria-label="Changed files" className="w-44 shrink-0 overflow-auto border-r border-zinc-800 py-1 text-xs">
            {changes.map((change) => {
              const style = KIND_STYLE[change.kind];
              return (
                <li key={change.path}>
                  <button
                    type="button"
                    aria-pressed={change.path === active.path}
                    aria-label={`${change.path}, ${style.label} v${number}`}
                    onClick={() => setChosen(change.path)}
                    className={`flex w-full items-center gap-2 px-2 py-1 text-left hover:bg-zinc-900 ${
                      change.path === active.path ? "bg-zinc-800 text-zinc-50" : "text-zinc-300"
                    }`}
                  >
                    <span aria-hidden="true" className={`w-3 font-mono font-bold ${style.tone}`}>
                      {style.mark}
                    </span>
                    <span className="truncate" title={change.path}>
                      {change.path}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
          <div className="min-w-0 flex-1">
            {[active.before, active.after].some(
              (text) => looksBinary(text) || utf8ByteLength(text) > DISPLAY_LIMIT_BYTES,
            ) ? (
              <p role="status" className="p-6 text-center text-sm text-zinc-400">
                {active.path} is binary or too large to compare here.
              </p>
            ) : (
              <DiffEditor
                original={active.before}
                modified={active.after}
                originalModelPath={`diff/v${number}/${active.path}`}
                modifiedModelPath={`diff/current/${active.path}`}
                language={monacoLanguage(languageForPath(active.path))}
                theme="vs-dark"
                beforeMount={configureMonaco}
                keepCurrentOriginalModel
                keepCurrentModifiedModel
                loading={<PanelLoading label="diff" />}
                options={{ ...EDITOR_OPTIONS, readOnly: true, renderSideBySide: true }}
              />
            )}
          </div>
        </div>
      )}
    </div>
  );
}
