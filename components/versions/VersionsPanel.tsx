"use client";

import { useQuery } from "@tanstack/react-query";
import { PanelError, SkeletonLines } from "@/components/workspace/PanelStates";
import { errorMessage } from "@/lib/client/api";
import { versionsKey } from "@/lib/client/query-keys";
import { relativeTime } from "@/lib/client/relative-time";
import { fetchVersions } from "@/lib/client/workspace-api";

interface VersionsPanelProps {
  projectId: string;
  selected: number | null;
  onSelect(number: number): void;
}

/** Version history, newest first; selecting one opens its diff against the current files (with Restore there). */
export function VersionsPanel({ projectId, selected, onSelect }: VersionsPanelProps) {
  const versions = useQuery({ queryKey: versionsKey(projectId), queryFn: () => fetchVersions(projectId) });

  if (versions.isPending) return <SkeletonLines label="versions" count={4} />;
  if (versions.isError) {
    return (
      <PanelError
        message={`Could not load versions: ${errorMessage(versions.error)}`}
        onRetry={() => void versions.refetch()}
      />
    );
  }
  if (versions.data.length === 0) {
    return <p className="p-4 text-sm text-zinc-400">No versions yet — every save and every generation makes one.</p>;
  }
  const current = versions.data[0].number;

  return (
    <div className="text-sm">
      <ol aria-label="Versions" className="divide-y divide-zinc-800/60" data-testid="version-list">
        {versions.data.map((version) => {
          const isCurrent = version.number === current;
          return (
            <li key={version.number} className={selected === version.number ? "bg-zinc-800/70" : ""}>
              <div className="flex items-start gap-2 px-3 py-2">
                <button
                  type="button"
                  onClick={() => onSelect(version.number)}
                  aria-current={isCurrent ? "true" : undefined}
                  aria-label={`v${version.number}${isCurrent ? ", current" : ""}: ${version.message || "no message"}, ${relativeTime(version.createdAt)}, ${version.fileCount} file${version.fileCount === 1 ? "" : "s"}`}
                  aria-pressed={selected === version.number}
                  className="min-w-0 flex-1 rounded text-left"
                >
                  <span className="flex items-center gap-2">
                    <span className="font-mono text-xs text-brand-300">v{version.number}</span>
                    {isCurrent && (
                      <span className="rounded-full border border-emerald-700 px-1.5 text-[10px] text-emerald-300">
                        current
                      </span>
                    )}
                    <time
                      className="ml-auto shrink-0 text-[11px] text-zinc-500"
                      dateTime={new Date(version.createdAt).toISOString()}
                    >
                      {relativeTime(version.createdAt)}
                    </time>
                  </span>
                  <span className="mt-0.5 block truncate text-zinc-200" title={version.message}>
                    {version.message || "(no message)"}
                  </span>
                  <span className="block text-[11px] text-zinc-500">
                    {version.fileCount} file{version.fileCount === 1 ? "" : "s"}
                  </span>
                </button>
              </div>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
