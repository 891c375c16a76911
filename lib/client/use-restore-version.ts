"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { filesKey, versionsKey } from "./query-keys";
import { restoreVersion, type VersionSummary } from "./workspace-api";
import { useWorkspace } from "./workspace-store";

/**
 * Restore = a new version equal to an old one. Drafts are kept (they sit on
 * top of the restored files, still marked unsaved); everything else refreshes.
 */
export function useRestoreVersion(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation<VersionSummary, Error, number>({
    mutationFn: (number) => restoreVersion(projectId, number),
    onSuccess: (version) => {
      useWorkspace.getState().setSavedVersion(version.number);
      void queryClient.invalidateQueries({ queryKey: filesKey(projectId) });
      void queryClient.invalidateQueries({ queryKey: versionsKey(projectId) });
    },
  });
}

/** The confirmation text for restoring `number`, mentioning unsaved drafts. */
export function restoreConfirmation(number: number): string {
  const drafts = Object.keys(useWorkspace.getState().drafts).length;
  const draftNote = drafts
    ? `\n\nYou have unsaved changes in ${drafts} file${drafts === 1 ? "" : "s"}; they are kept as unsaved edits on top of the restored files.`
    : "";
  return `Restore version ${number}? Your files become exactly as they were then, saved as a new version (nothing is lost: the current state stays in the history).${draftNote}`;
}
