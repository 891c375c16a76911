import type { Id } from "@/lib/store";
import { GIT_BRANCH } from "./history";
import { withProjectRepository } from "./repository";

/** What the Git panel shows: the commits of `main`, newest first. */
export interface GitLog {
  branch: typeof GIT_BRANCH;
  commits: Array<{ oid: string; message: string; number: number; createdAt: number }>;
}

export async function projectGitLog(userId: Id, projectId: string): Promise<GitLog> {
  return withProjectRepository(userId, projectId, async ({ commits }) => ({
    branch: GIT_BRANCH,
    commits: commits
      .map(({ oid, message, number, createdAt }) => ({ oid, message, number, createdAt }))
      .reverse(),
  }));
}
