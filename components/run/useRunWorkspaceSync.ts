"use client";

import { QueryClientContext } from "@tanstack/react-query";
import { useCallback, useContext, useEffect, useRef } from "react";
import { balanceKey, changesKey, fileKey, filesKey, projectKey, versionsKey } from "@/lib/client/query-keys";
import type { SeqEvent } from "@/lib/client/run-state";
import { useWorkspace } from "@/lib/client/workspace-store";

/**
 * What a run's events change in the rest of the workspace: the file tree and open files (refreshed once
 * per burst of file events), the project, the balance, the versions and the chat's list of changes, and
 * the saved version the terminal and the preview follow. Pass the returned callback to useRunEvents.
 */
export function useRunWorkspaceSync(projectId: string): (event: SeqEvent) => void {
  const queryClient = useContext(QueryClientContext);
  const setSavedVersion = useWorkspace((s) => s.setSavedVersion);

  // File events come in bursts (and all at once when a finished run is replayed): refresh once per burst.
  const touched = useRef<{ paths: Set<string>; timer: ReturnType<typeof setTimeout> | null }>({ paths: new Set(), timer: null });
  useEffect(() => {
    const pending = touched.current;
    return () => {
      if (pending.timer) clearTimeout(pending.timer);
    };
  }, []);

  return useCallback(
    ({ event }: SeqEvent) => {
      switch (event.type) {
        case "file_written":
        case "file_edited":
        case "file_deleted": {
          const pending = touched.current;
          pending.paths.add(event.path);
          pending.timer ??= setTimeout(() => {
            const paths = [...pending.paths];
            pending.paths.clear();
            pending.timer = null;
            void queryClient?.invalidateQueries({ queryKey: filesKey(projectId), exact: true });
            for (const path of paths) void queryClient?.invalidateQueries({ queryKey: fileKey(projectId, path) });
          }, 500);
          return;
        }
        case "run_started":
          void queryClient?.invalidateQueries({ queryKey: projectKey(projectId), exact: true });
          void queryClient?.invalidateQueries({ queryKey: balanceKey() });
          return;
        case "done":
        case "failed":
          void queryClient?.invalidateQueries({ queryKey: projectKey(projectId), exact: true });
          // The run saves its files as one version when it ends (also when it fails).
          void queryClient?.invalidateQueries({ queryKey: filesKey(projectId) });
          void queryClient?.invalidateQueries({ queryKey: versionsKey(projectId) });
          void queryClient?.invalidateQueries({ queryKey: changesKey(projectId) });
          void queryClient?.invalidateQueries({ queryKey: balanceKey() });
          if (event.type === "done" && event.version !== null) {
            const version = event.version;
            const known = useWorkspace.getState().savedVersion;
            // A replay of an old run must not move the workspace back to its version.
            if (known === null || version > known) setSavedVersion(version);
          }
          return;
      }
    },
    [projectId, queryClient, setSavedVersion],
  );
}
