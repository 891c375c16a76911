import { getProject } from "@/lib/projects/service";
import { getStore, type Id } from "@/lib/store";
import { GIT_BRANCH, gitIdentity } from "./history";
import { withProjectRepository } from "./repository";

/** What the Git panel shows: the commits of `main`, newest first. */
export interface GitLog {
  branch: typeof GIT_BRANCH;
  commits: Array<{ oid: string; message: string; number: number; createdAt: number }>;
}

/**
 * Commits are a pure function of the versions and the author, and versions
 * are append-only, so a log is cached under its newest version and author:
 * the panel refetches after every save without rebuilding the whole history.
 */
const MAX_CACHED_LOGS = 200;
const cache = new Map<string, GitLog>();

export async function projectGitLog(userId: Id, projectId: string): Promise<GitLog> {
  const project = await getProject(userId, projectId);
  const store = await getStore();
  const [versions, owner] = await Promise.all([store.listVersions(userId, project.id), store.getUser(project.userId)]);
  const newest = versions.reduce<(typeof versions)[number] | null>((a, v) => (a === null || v.number > a.number ? v : a), null);
  const author = gitIdentity(owner?.name, owner?.email, project.userId);
  const key = JSON.stringify([project.id, versions.length, newest?.id ?? null, author.name, author.email]);
  const cached = cache.get(key);
  if (cached) return cached;

  const log = await withProjectRepository(userId, project.id, async ({ commits }): Promise<GitLog> => ({
    branch: GIT_BRANCH,
    commits: commits.map(({ oid, message, number, createdAt }) => ({ oid, message, number, createdAt })).reverse(),
  }));
  if (cache.size >= MAX_CACHED_LOGS) cache.delete(cache.keys().next().value!);
  cache.set(key, log);
  return log;
}
