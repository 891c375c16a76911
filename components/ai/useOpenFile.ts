"use client";

import { useQuery } from "@tanstack/react-query";
import { fileKey } from "@/lib/client/query-keys";
import { fetchFileContent } from "@/lib/client/workspace-api";
import { useWorkspace, type EditorSelection } from "@/lib/client/workspace-store";

export interface OpenFile {
  path: string;
  language: string;
  /** The unsaved draft when there is one, else the saved content. */
  code: string;
  isDraft: boolean;
  /** The editor's selection in this file, if any. */
  selection: EditorSelection | null;
}

export type OpenFileState =
  | { status: "none" }
  | { status: "loading"; path: string }
  | { status: "error"; path: string; message: string }
  | { status: "unviewable"; path: string; reason: string }
  | { status: "ready"; file: OpenFile };

/** The file the AI actions work on: the editor's active file (its draft, else what is saved) and selection. */
export function useOpenFile(projectId: string): OpenFileState {
  const path = useWorkspace((s) => s.activePath);
  const draft = useWorkspace((s) => (s.activePath ? s.drafts[s.activePath] : undefined));
  const selection = useWorkspace((s) => s.selection);
  const query = useQuery({
    queryKey: fileKey(projectId, path ?? ""),
    queryFn: () => fetchFileContent(projectId, path!),
    enabled: path !== null,
  });

  if (!path) return { status: "none" };
  const language = query.data?.language ?? "plaintext";
  const fileSelection = selection && selection.path === path && selection.text ? selection : null;
  if (draft !== undefined) return { status: "ready", file: { path, language, code: draft, isDraft: true, selection: fileSelection } };
  if (query.isPending) return { status: "loading", path };
  if (query.isError) return { status: "error", path, message: query.error.message };
  if (query.data.content === null) {
    return { status: "unviewable", path, reason: query.data.unviewable === "binary" ? "it is a binary file" : "it is too large to send" };
  }
  return { status: "ready", file: { path, language, code: query.data.content, isDraft: false, selection: fileSelection } };
}
