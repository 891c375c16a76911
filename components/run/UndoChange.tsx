"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { buttonSecondary } from "@/components/ui/styles";
import { errorMessage } from "@/lib/client/api";
import { undoOffer } from "@/lib/client/change-review";
import { versionsKey } from "@/lib/client/query-keys";
import { useRestoreVersion } from "@/lib/client/use-restore-version";
import { fetchVersions } from "@/lib/client/workspace-api";

interface UndoChangeProps {
  projectId: string;
  /** The version the change saved, and the one it started from. */
  version: number;
  parent: number | null;
}

/** Undo = restore the version the change started from (as the Versions panel restores: a new version). */
export function UndoChange({ projectId, version, parent }: UndoChangeProps) {
  const helpId = useId();
  const versions = useQuery({ queryKey: versionsKey(projectId), queryFn: () => fetchVersions(projectId) });
  const restore = useRestoreVersion(projectId);
  const offer = undoOffer({ version, parent, latest: versions.data?.[0]?.number, savedAs: restore.data?.number ?? null });

  switch (offer.kind) {
    case "checking":
    case "nothing_before":
      return null;
    case "undone":
      return (
        <p role="status" className="text-xs text-emerald-300" data-testid="change-undone">
          Undone: version {offer.savedAs} has the files of version {offer.restores} again.
        </p>
      );
    case "superseded":
      return (
        <p className="text-xs text-zinc-400">
          Version {offer.latest} came after this change; to go back, restore a version from the Versions tab.
        </p>
      );
    case "available":
      return (
        <div className="flex flex-wrap items-center gap-2">
          <button
            type="button"
            disabled={restore.isPending}
            onClick={() => restore.mutate(offer.restores)}
            aria-describedby={helpId}
            className={`${buttonSecondary} px-3 py-1 text-xs disabled:cursor-not-allowed disabled:opacity-50`}
          >
            {restore.isPending ? "Undoing…" : "Undo"}
          </button>
          <span id={helpId} className="text-xs text-zinc-500">
            Restores version {offer.restores} as a new version.
          </span>
          {restore.isError && (
            <p role="alert" className="w-full text-xs text-red-400">
              Undo failed: {errorMessage(restore.error)}
            </p>
          )}
        </div>
      );
  }
}
