import type { ChangeList } from "@/lib/workspace/change-summary";
import type { FileMeta, FileView, VersionSummary } from "@/lib/workspace/file-view";
import { apiJson } from "./api";

/** Typed calls to the workspace API (app/api/projects/:id/{files,versions,download}). */

export type { FileMeta, FileView, VersionSummary };

const base = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}`;

export function fetchFiles(projectId: string) {
  return apiJson<{ files: FileMeta[]; latestVersion: number | null }>(`${base(projectId)}/files`);
}

export async function fetchFileContent(projectId: string, path: string): Promise<FileView> {
  const { file } = await apiJson<{ file: FileView }>(
    `${base(projectId)}/files/content?path=${encodeURIComponent(path)}`,
  );
  return file;
}

export interface SaveRequest {
  files?: Array<{ path: string; content: string }>;
  deletes?: string[];
  renames?: Array<{ from: string; to: string }>;
  message?: string;
}

export async function saveFiles(projectId: string, request: SaveRequest): Promise<VersionSummary> {
  const { version } = await apiJson<{ version: VersionSummary }>(`${base(projectId)}/files`, {
    method: "PUT",
    json: request,
  });
  return version;
}

export async function fetchVersions(projectId: string): Promise<VersionSummary[]> {
  const { versions } = await apiJson<{ versions: VersionSummary[] }>(`${base(projectId)}/versions`);
  return versions;
}

export function fetchVersion(projectId: string, number: number) {
  return apiJson<{ version: VersionSummary; files: Array<{ path: string; content: string }> }>(
    `${base(projectId)}/versions/${number}`,
  );
}

export async function restoreVersion(projectId: string, number: number): Promise<VersionSummary> {
  const { version } = await apiJson<{ version: VersionSummary }>(`${base(projectId)}/versions/${number}/restore`, {
    method: "POST",
  });
  return version;
}

export async function fetchBalance(): Promise<number> {
  const { user } = await apiJson<{ user: { tokenBalance: number } }>("/api/me");
  return user.tokenBalance;
}

export const downloadUrl = (projectId: string) => `${base(projectId)}/download`;

/** The project's change requests, oldest first (GET /api/projects/:id/changes; see lib/ai/changes/history.ts). */
export async function fetchChanges(projectId: string): Promise<ChangeList> {
  return apiJson<ChangeList>(`${base(projectId)}/changes`);
}
