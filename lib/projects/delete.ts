import { cancelRun } from "@/lib/ai/runs/service";
import { liveRunOfProject } from "@/lib/ai/runs/registry";
import { HttpError, notFound } from "@/lib/http/errors";
import { revokeLivePreview } from "@/lib/preview/live";
import { closeProjectSession } from "@/lib/sandbox/project-sessions";
import { getStore, isStoreError, type Id, type Store } from "@/lib/store";
import { getProject } from "./service";

/**
 * Deleting a project for its owner (docs/data-model.md, "Deleting a project"): its runs in
 * progress are canceled first (refunding what they did not spend), then the store deletes it with
 * its files, versions, runs and steps, keeping its deployments and usage for the records; last,
 * its runner session (terminal, live preview) is closed and its preview URL revoked.
 */

export interface DeletedProject {
  id: Id;
  name: string;
}

export const runStartedDuringDeletion = () =>
  new HttpError(
    409,
    "run_in_progress",
    "A generation or change started on this project while it was being deleted, so nothing was deleted. Cancel it, then delete the project.",
  );

export async function deleteProject(userId: Id, projectId: string): Promise<DeletedProject> {
  const project = await getProject(userId, projectId);
  const store = await getStore();
  await cancelRunningRuns(store, userId, project.id);
  let deleted;
  try {
    deleted = await store.deleteProject(userId, project.id);
  } catch (err) {
    if (isStoreError(err, "not_found")) throw notFound("Project");
    if (isStoreError(err, "conflict")) throw runStartedDuringDeletion();
    throw err;
  }
  await closeProjectSession(userId, project.id);
  revokeLivePreview(userId, project.id);
  return { id: deleted.id, name: deleted.name };
}

/** Cancels every run of the project still running: one executing here is aborted and awaited, any other closed. */
async function cancelRunningRuns(store: Store, userId: Id, projectId: Id): Promise<void> {
  const running = new Set((await store.listRuns(userId, projectId, { limit: 100 })).filter((r) => r.status === "running").map((r) => r.id));
  const live = liveRunOfProject(projectId);
  if (live && live.userId === userId) running.add(live.runId);
  for (const runId of running) await cancelRun(userId, runId);
}
