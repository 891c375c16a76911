"use client";

import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useEffect, useRef, useState } from "react";
import { PanelError, PanelLoading } from "@/components/workspace/PanelStates";
import { buttonPrimary, buttonSecondary } from "@/components/ui/styles";
import { ApiError, errorMessage } from "@/lib/client/api";
import { fileKey } from "@/lib/client/query-keys";
import { useSaveFiles } from "@/lib/client/use-save-files";
import { fetchFileContent, type FileView } from "@/lib/client/workspace-api";
import { useWorkspace } from "@/lib/client/workspace-store";
import { DISPLAY_LIMIT_BYTES } from "@/lib/workspace/file-view";
import { EditorTabs } from "./EditorTabs";

const CodeEditor = dynamic(() => import("./CodeEditor"), {
  ssr: false,
  loading: () => <PanelLoading label="editor" />,
});

type SaveStatus = { kind: "saved"; text: string } | { kind: "error"; text: string } | null;

/** Tabs, the save bar and Monaco for the active file. */
export function EditorArea({ projectId }: { projectId: string }) {
  const activePath = useWorkspace((s) => s.activePath);
  const openCount = useWorkspace((s) => s.openPaths.length);
  const drafts = useWorkspace((s) => s.drafts);
  const save = useSaveFiles(projectId);
  const [message, setMessage] = useState("");
  const [status, setStatus] = useState<SaveStatus>(null);

  const saveDrafts = async (paths: string[]) => {
    const current = useWorkspace.getState().drafts;
    const files = paths.filter((p) => current[p] !== undefined).map((path) => ({ path, content: current[path] }));
    if (files.length === 0 || save.isPending) return;
    setStatus(null);
    try {
      const version = await save.mutateAsync({ files, message: message.trim() || undefined });
      setMessage("");
      setStatus({ kind: "saved", text: `Saved as version ${version.number}.` });
    } catch (err) {
      setStatus({ kind: "error", text: `Not saved — your changes are kept. ${errorMessage(err)}` });
    }
  };
  const saveActive = () => {
    const path = useWorkspace.getState().activePath;
    if (path) void saveDrafts([path]);
  };
  const saveRef = useRef(saveActive);
  useEffect(() => {
    saveRef.current = saveActive;
  });

  // Ctrl/Cmd-S anywhere in the workspace (Monaco handles it itself when focused).
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);

  const draftPaths = Object.keys(drafts);
  const activeHasDraft = activePath !== null && drafts[activePath] !== undefined;

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <EditorTabs />
      {(openCount > 0 || draftPaths.length > 0) && (
        <div className="flex shrink-0 flex-wrap items-center gap-2 border-b border-zinc-800 px-2 py-1.5 text-xs">
          <label htmlFor="version-message" className="sr-only">
            Version message
          </label>
          <input
            id="version-message"
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            placeholder="Version message (optional)"
            maxLength={500}
            className="w-64 rounded border border-zinc-700 bg-zinc-900 px-2 py-1 text-xs text-zinc-100 placeholder:text-zinc-500"
          />
          <button
            type="button"
            onClick={saveActive}
            disabled={!activeHasDraft || save.isPending}
            className={`${buttonPrimary} px-3 py-1 text-xs`}
            title="Save the active file (Ctrl/Cmd-S)"
          >
            {save.isPending ? "Saving…" : "Save"}
          </button>
          <button
            type="button"
            onClick={() => void saveDrafts(draftPaths)}
            disabled={draftPaths.length === 0 || save.isPending}
            className={`${buttonSecondary} px-3 py-1 text-xs`}
          >
            Save all{draftPaths.length ? ` (${draftPaths.length})` : ""}
          </button>
          <span
            role={status?.kind === "error" ? "alert" : "status"}
            aria-live="polite"
            className={`min-w-0 truncate ${status?.kind === "error" ? "text-red-300" : "text-zinc-400"}`}
            title={status?.text}
          >
            {status?.text}
          </span>
        </div>
      )}
      <div className="relative min-h-0 flex-1">
        {activePath ? (
          <ActiveFile key={activePath} projectId={projectId} path={activePath} onSave={saveActive} />
        ) : (
          <div className="flex h-full items-center justify-center p-6 text-center text-sm text-zinc-500">
            Open a file from the Files panel to edit it.
          </div>
        )}
      </div>
    </div>
  );
}

function ActiveFile({ projectId, path, onSave }: { projectId: string; path: string; onSave(): void }) {
  const file = useQuery<FileView>({
    queryKey: fileKey(projectId, path),
    queryFn: () => fetchFileContent(projectId, path),
  });
  const hasDraft = useWorkspace((s) => s.drafts[path] !== undefined);
  const closeFile = useWorkspace((s) => s.closeFile);

  if (file.isPending) return <PanelLoading label={path} />;
  if (file.isError) {
    const missing = file.error instanceof ApiError && file.error.status === 404;
    if (missing && !hasDraft) {
      return (
        <Notice title={`${path} no longer exists.`}>
          <button type="button" className={`${buttonSecondary} mt-3 px-3 py-1 text-xs`} onClick={() => closeFile(path)}>
            Close tab
          </button>
        </Notice>
      );
    }
    if (!missing) {
      return (
        <PanelError
          message={`Could not open ${path}: ${errorMessage(file.error)}`}
          onRetry={() => void file.refetch()}
        />
      );
    }
  }
  const view = file.data;
  if (view?.unviewable === "binary") {
    return (
      <Notice title={`${path} is a binary file.`}>
        It cannot be edited here. It is kept as is and included in the ZIP download.
      </Notice>
    );
  }
  if (view?.unviewable === "too_large") {
    return (
      <Notice title={`${path} is too large to open in the editor.`}>
        It is {formatKiB(view.size)}; the editor opens files up to {formatKiB(DISPLAY_LIMIT_BYTES)}. It is included in
        the ZIP download.
      </Notice>
    );
  }
  // A file deleted on the server but with a draft still open edits from the draft; saving recreates it.
  return (
    <CodeEditor
      path={path}
      language={view?.language ?? "plaintext"}
      savedContent={view?.content ?? ""}
      onSave={onSave}
    />
  );
}

function Notice({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div role="status" className="flex h-full flex-col items-center justify-center p-6 text-center">
      <p className="font-semibold text-zinc-200">{title}</p>
      <div className="mt-2 max-w-md text-sm text-zinc-400">{children}</div>
    </div>
  );
}

function formatKiB(bytes: number): string {
  return `${Math.round(bytes / 1024)} KB`;
}
