"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { utf8ByteLength } from "@/lib/files/paths";
import { filesKey, fileKey, versionsKey } from "./query-keys";
import { saveFiles, type FileView, type SaveRequest, type VersionSummary } from "./workspace-api";
import { useWorkspace } from "./workspace-store";

/**
 * One save = one new version. On success the saved drafts are cleared (only
 * if unchanged since the save started), the cached contents updated and the
 * tree and version list refreshed; on failure drafts stay and the error is
 * returned for display.
 */
export function useSaveFiles(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation<VersionSummary, Error, SaveRequest>({
    mutationFn: (request) => saveFiles(projectId, request),
    onSuccess: (version, request) => {
      const store = useWorkspace.getState();
      for (const file of request.files ?? []) {
        queryClient.setQueryData<FileView>(fileKey(projectId, file.path), (old) =>
          old ? { ...old, content: file.content, size: utf8ByteLength(file.content), unviewable: null } : old,
        );
        if (useWorkspace.getState().drafts[file.path] === file.content) store.discardDraft(file.path);
      }
      for (const path of request.deletes ?? []) queryClient.removeQueries({ queryKey: fileKey(projectId, path) });
      if (version.number > (useWorkspace.getState().savedVersion ?? 0)) store.setSavedVersion(version.number);
      void queryClient.invalidateQueries({ queryKey: filesKey(projectId) });
      void queryClient.invalidateQueries({ queryKey: versionsKey(projectId) });
    },
  });
}
