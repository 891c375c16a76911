"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { apiJson } from "@/lib/client/api";
import { projectDetailsKey } from "@/lib/client/query-keys";

export interface ProjectDetails {
  prompt: string | null;
  description: string | null;
  /** The ModelOption id remembered for the project; null = the default model. */
  model: string | null;
}

/** What GET /api/projects/:id says of the prompt and the remembered model. */
export function useProjectDetails(projectId: string) {
  return useQuery({
    queryKey: projectDetailsKey(projectId),
    queryFn: async (): Promise<ProjectDetails> => {
      const { project } = await apiJson<{ project: Partial<ProjectDetails> }>(`/api/projects/${encodeURIComponent(projectId)}`);
      return { prompt: project.prompt ?? null, description: project.description ?? null, model: project.model ?? null };
    },
  });
}

/**
 * The model chosen for a project, shared by the Run panel and the chat: a pick is remembered on the
 * project at once (PATCH), so it is the one used next time whichever panel starts the run.
 */
export function useProjectModel(projectId: string): { model: string | null; choose(id: string): void } {
  const queryClient = useQueryClient();
  const details = useProjectDetails(projectId);
  // Kept here too: a pick made before the project has loaded must not be overwritten when it does.
  const [picked, setPicked] = useState<string | null>(null);
  const model = picked ?? details.data?.model ?? null;

  function choose(id: string) {
    if (id === model) return;
    setPicked(id);
    queryClient.setQueryData<ProjectDetails>(projectDetailsKey(projectId), (old) => (old ? { ...old, model: id } : old));
    // Remembering it is a convenience: the run or change started with it remembers it as well.
    apiJson(`/api/projects/${encodeURIComponent(projectId)}`, { method: "PATCH", json: { model: id } }).catch(() => {});
  }

  return { model, choose };
}
