"use client";

import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useId, useState } from "react";
import { PanelError, PanelLoading } from "@/components/workspace/PanelStates";
import { errorMessage } from "@/lib/client/api";
import { versionKey } from "@/lib/client/query-keys";
import { diffFileSets, type ChangeKind, type FileChange } from "@/lib/client/version-changes";
import { fetchVersion } from "@/lib/client/workspace-api";
import { utf8ByteLength } from "@/lib/files/paths";
import { DISPLAY_LIMIT_BYTES, looksBinary } from "@/lib/workspace/file-view";
import { UndoChange } from "./UndoChange";

// Monaco loads only when a change's diff is shown.
const FileDiff = dynamic(() => import("./FileDiff"), { ssr: false, loading: () => <PanelLoading label="diff" /> });

/** Diffs shown open at first; further files open on demand (each is a Monaco editor). */
const OPEN_AT_FIRST = 3;

interface ChangeReviewProps {
  projectId: string;
  /** The version the change saved. */
  version: number;
}

/** What a finished change did: each file it changed, with its diff against the version before, and Undo. */
export function ChangeReview({ projectId, version }: ChangeReviewProps) {
  const titleId = useId();
  const after = useQuery({ queryKey: versionKey(projectId, version), queryFn: () => fetchVersion(projectId, version) });
  const parent = after.data ? after.data.version.parent : undefined;
  const before = useQuery({
    queryKey: versionKey(projectId, parent ?? 0),
    queryFn: () => fetchVersion(projectId, parent!),
    enabled: parent !== undefined && parent !== null,
  });

  const failed = [after, before].find((q) => q.isError);
  if (failed) {
    return (
      <PanelError
        message={`Could not load what the change did: ${errorMessage(failed.error)}`}
        onRetry={() => void Promise.all([after.refetch(), before.refetch()])}
      />
    );
  }
  if (parent === undefined || (parent !== null && !before.data)) return <PanelLoading label="the change's diff" />;

  const changes = diffFileSets(before.data?.files ?? [], after.data!.files);
  const beforeVersion = parent ?? 0;
  return (
    <section aria-labelledby={titleId} className="space-y-3" data-testid="change-review">
      <div className="space-y-2">
        <h4 id={titleId} className="text-xs font-semibold tracking-wide text-zinc-400 uppercase">
          Changed files ({changes.length}) · v{beforeVersion} → v{version}
        </h4>
        <UndoChange projectId={projectId} version={version} parent={parent} />
      </div>
      {changes.length === 0 ? (
        <p className="text-sm text-zinc-400">Version {version} has the same files as version {beforeVersion}.</p>
      ) : (
        <ul aria-label="Files the change touched" className="space-y-3">
          {changes.map((change, index) => (
            <ChangedFile
              key={change.path}
              projectId={projectId}
              change={change}
              versions={{ before: beforeVersion, after: version }}
              openAtFirst={index < OPEN_AT_FIRST}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

const KIND_LABELS: Record<ChangeKind, { text: string; tone: string }> = {
  added: { text: "added", tone: "text-emerald-300" },
  removed: { text: "deleted", tone: "text-red-300" },
  modified: { text: "modified", tone: "text-amber-300" },
};

interface ChangedFileProps {
  projectId: string;
  change: FileChange;
  versions: { before: number; after: number };
  openAtFirst: boolean;
}

function ChangedFile({ projectId, change, versions, openAtFirst }: ChangedFileProps) {
  const headingId = useId();
  const diffId = useId();
  const [open, setOpen] = useState(openAtFirst);
  const kind = KIND_LABELS[change.kind];
  const comparable = [change.before, change.after].every((text) => !looksBinary(text) && utf8ByteLength(text) <= DISPLAY_LIMIT_BYTES);

  return (
    <li className="space-y-1" data-testid="changed-file">
      <div className="flex items-center gap-2">
        <h5 id={headingId} className="truncate font-mono text-xs text-zinc-100" title={change.path}>
          {change.path}
        </h5>
        <span className={`text-xs ${kind.tone}`}>{kind.text}</span>
        <button
          type="button"
          aria-expanded={open}
          aria-controls={diffId}
          onClick={() => setOpen((value) => !value)}
          className="ml-auto text-xs text-zinc-400 underline-offset-2 hover:text-zinc-100 hover:underline"
        >
          {open ? "Hide diff" : "Show diff"}
          <span className="sr-only"> of {change.path}</span>
        </button>
      </div>
      <div id={diffId} hidden={!open}>
        {open &&
          (comparable ? (
            <FileDiff
              projectId={projectId}
              path={change.path}
              before={{ version: versions.before, content: change.before }}
              after={{ version: versions.after, content: change.after }}
            />
          ) : (
            <p role="status" className="text-xs text-zinc-400">
              {change.path} is binary or too large to compare here.
            </p>
          ))}
      </div>
    </li>
  );
}
