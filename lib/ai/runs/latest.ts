import { getProject } from "@/lib/projects/service";
import { getStore, type Id, type Run } from "@/lib/store";
import { closeIfOrphaned } from "./abandoned";

export type RunSummary = Pick<Run, "id" | "status" | "createdAt" | "finishedAt">;

/**
 * The project's newest run, for a workspace opened without `?run=`; another
 * user's project is a 404. A run orphaned by a restart is closed first.
 */
export async function getLatestRun(userId: Id, projectId: string): Promise<RunSummary | null> {
  const project = await getProject(userId, projectId);
  const store = await getStore();
  const found = await store.latestRun(userId, project.id);
  const run = found && (await closeIfOrphaned(store, userId, found));
  return run && { id: run.id, status: run.status, createdAt: run.createdAt, finishedAt: run.finishedAt };
}
