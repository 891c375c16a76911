import { z } from "zod";
import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { fieldError, oneOf } from "@/lib/http/fields";
import { getProject } from "@/lib/projects/service";
import { readUserKey } from "@/lib/secrets/user-keys";
import type { Id } from "@/lib/store";
import { GIT_PROVIDER_LABELS, pushRepository, type GitProvider } from "./push";
import { branchNameProblem, MAX_BRANCH_NAME_LENGTH } from "./ref-name";
import { MAX_REMOTE_URL_LENGTH, parseAllowedHosts, RemoteUrlError, validateRemoteUrl } from "./remote-url";
import { withProjectRepository } from "./repository";

/** Pushing a project's history (its `main`) to a branch of the user's GitHub or GitLab repository. */

export const GIT_PROVIDERS = ["github", "gitlab"] as const satisfies readonly GitProvider[];

export const pushBodySchema = z.object({
  provider: oneOf("provider", GIT_PROVIDERS),
  remoteUrl: z.string({ error: fieldError("remoteUrl", "a repository URL") }).trim().min(1, "remoteUrl is required").max(MAX_REMOTE_URL_LENGTH),
  branch: z.string({ error: fieldError("branch", "a branch name") }).min(1, "branch is required").max(MAX_BRANCH_NAME_LENGTH * 4),
});
export type PushBody = z.infer<typeof pushBodySchema>;

export interface PushOutcome {
  pushed: true;
  branch: string;
  commit: string;
  remoteUrl: string;
}


export async function pushProject(userId: Id, projectId: string, body: PushBody): Promise<PushOutcome> {
  const project = await getProject(userId, projectId);

  let remoteUrl: URL;
  try {
    remoteUrl = validateRemoteUrl(body.remoteUrl, parseAllowedHosts(env().GIT_ALLOWED_HOSTS));
  } catch (err) {
    if (err instanceof RemoteUrlError) throw new HttpError(400, "invalid_remote", err.message);
    throw err;
  }
  const branchProblem = branchNameProblem(body.branch);
  if (branchProblem) throw new HttpError(400, "invalid_branch", branchProblem);

  const token = await readUserKey(userId, body.provider);
  if (!token) {
    throw new HttpError(
      400,
      "no_token",
      `No ${GIT_PROVIDER_LABELS[body.provider]} token is stored. Add one under "Deploy and Git tokens" in Settings, then push again.`,
      { settingsUrl: "/settings" },
    );
  }

  return withProjectRepository(userId, project.id, async (repository) => {
    if (!repository.head) {
      throw new HttpError(409, "nothing_to_push", "This project has no versions yet. Save or generate something first.");
    }
    const { commit } = await pushRepository({
      gitdir: repository.gitdir,
      provider: body.provider,
      remoteUrl,
      branch: body.branch,
      token,
    });
    return { pushed: true, branch: body.branch, commit, remoteUrl: remoteUrl.href };
  });
}
