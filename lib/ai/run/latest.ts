import { getProject } from "@/lib/projects/service";
import { getStore, type Id, type Run } from "@/lib/store";

export type RunSummary = Pick<Run, "id" | "status" | "createdAt" | "finishedAt">;

/** The project's newest run, for a workspace opened without `?run=`; another user's project is a 404. */
export async function getLatestRun(userId: Id, projectId: string): Promise<RunSummary | null> {
  const project = await getProject(userId, projectId);
  const run = await (await getStore()).latestRun(userId, project.id);
  return run && { id: run.id, status: run.status, createdAt: run.createdAt, finishedAt: run.finishedAt };
}
