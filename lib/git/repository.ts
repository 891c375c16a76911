import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getProject } from "@/lib/projects/service";
import { getStore, type Id } from "@/lib/store";
import type { Project } from "@/lib/store/types";
import { buildRepository, gitIdentity, packRepository, type BuiltRepository } from "./history";

/**
 * A project's version history as a Git repository in a temp dir, for the
 * length of one callback (the dir is always removed afterwards). The author
 * of every commit is the project's owner.
 */

export interface ProjectRepository extends BuiltRepository {
  project: Project;
  /** The work tree folder (holding only `.git`). */
  dir: string;
}

export async function withProjectRepository<T>(
  userId: Id,
  projectId: string,
  work: (repository: ProjectRepository) => Promise<T>,
): Promise<T> {
  const project = await getProject(userId, projectId);
  const store = await getStore();
  const [versions, owner] = await Promise.all([store.listVersions(userId, project.id), store.getUser(project.userId)]);
  const dir = await mkdtemp(path.join(tmpdir(), "autocrea-git-"));
  try {
    const built = await buildRepository({
      dir,
      versions,
      author: gitIdentity(owner?.name, owner?.email, project.userId),
      readVersionFiles: (number) => store.getVersionFiles(userId, project.id, number),
    });
    return await work({ ...built, project, dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface GitDirFile {
  /** Relative to `.git`, forward slashes; a trailing "/" is an empty folder. */
  path: string;
  data: Uint8Array;
}

/** Every file (and empty folder) under `gitdir`, read as bytes, sorted by path. */
export async function readGitDir(gitdir: string): Promise<GitDirFile[]> {
  const out: GitDirFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(gitdir, relative), { withFileTypes: true });
    if (entries.length === 0 && relative) out.push({ path: `${relative}/`, data: new Uint8Array() });
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) out.push({ path: child, data: await readFile(path.join(gitdir, child)) });
    }
  };
  await walk("");
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The `.git` folder of a project's history for its ZIP; empty when the project has no versions yet. */
export async function projectGitDirFiles(userId: Id, projectId: string): Promise<GitDirFile[]> {
  return withProjectRepository(userId, projectId, async (repository) => {
    if (!repository.head) return [];
    await packRepository(repository);
    return readGitDir(repository.gitdir);
  });
}
