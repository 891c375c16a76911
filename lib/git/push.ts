import fs from "node:fs";
import git, { Errors } from "isomorphic-git";
import nodeHttp from "isomorphic-git/http/node";
import type { GitHttpRequest, HttpClient } from "isomorphic-git";
import { HttpError } from "@/lib/http/errors";
import { log } from "@/lib/log";
import { GIT_BRANCH } from "./history";

/**
 * Pushes the local `main` of a built repository to `refs/heads/<branch>` of a
 * remote, never forcing, with the user's token given through onAuth. Every
 * failure becomes an HttpError whose message is scrubbed of the token.
 */

export type GitProvider = "github" | "gitlab";

/** The Basic-auth user name each host expects alongside a token. */
const TOKEN_USERNAME: Record<GitProvider, string> = { github: "x-access-token", gitlab: "oauth2" };
export const GIT_PROVIDER_LABELS: Record<GitProvider, string> = { github: "GitHub", gitlab: "GitLab" };

const PUSH_TIMEOUT_MS = 120_000;
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

export interface PushInput {
  gitdir: string;
  provider: GitProvider;
  remoteUrl: URL;
  branch: string;
  token: string;
}

/** Removes the token (plain, and inside a Basic-auth value) and any URL credentials from text. */
export function scrubSecret(text: string, token: string, username?: string): string {
  let out = text.replace(/(\/\/)[^/@\s:]+(:[^/@\s]*)?@/g, "$1***@");
  const forms = [token, encodeURIComponent(token)];
  if (username) forms.push(Buffer.from(`${username}:${token}`).toString("base64"));
  for (const form of forms) if (form) out = out.split(form).join("***");
  return out;
}

/** The node client, with redirects not followed: a redirect could lead the server to a host nobody allowed. */
const noRedirectHttp: HttpClient = {
  request: (request: GitHttpRequest) =>
    nodeHttp.request({ ...request, fetchOptions: { ...request.fetchOptions, followRedirects: false } }),
};

export async function pushRepository({ gitdir, provider, remoteUrl, branch, token }: PushInput): Promise<{ commit: string }> {
  const username = TOKEN_USERNAME[provider];
  const commit = await git.resolveRef({ fs, gitdir, ref: `refs/heads/${GIT_BRANCH}` });
  try {
    const result = await git.push({
      fs,
      http: noRedirectHttp,
      gitdir,
      url: remoteUrl.href,
      ref: `refs/heads/${GIT_BRANCH}`,
      remoteRef: `refs/heads/${branch}`,
      force: false,
      onAuth: () => ({ username, password: token }),
      // A refused token is final: asking again would loop.
      onAuthFailure: () => ({ cancel: true }),
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    if (!result.ok) throw new Errors.GitPushError(result.error ?? "", result);
    return { commit };
  } catch (err) {
    throw pushFailure(err, { provider, token, username, remoteHost: remoteUrl.host });
  }
}

interface FailureContext {
  provider: GitProvider;
  token: string;
  username: string;
  remoteHost: string;
}

const NOT_FAST_FORWARD =
  "The remote branch has commits that are not in this project. Push to a new branch name, or bring those commits into the project first (pushes are never forced).";

function pushFailure(err: unknown, { provider, token, username, remoteHost }: FailureContext): HttpError {
  const scrub = (text: string) => scrubSecret(text, token, username);
  const code = (err as { code?: unknown })?.code;
  const name = err instanceof Error ? err.name : "";
  const label = GIT_PROVIDER_LABELS[provider];

  if (code === Errors.PushRejectedError.code) {
    return new HttpError(409, "non_fast_forward", NOT_FAST_FORWARD);
  }
  if (code === Errors.GitPushError.code) {
    const details = scrub(String((err as InstanceType<typeof Errors.GitPushError>).data.prettyDetails ?? ""));
    if (/non-fast-forward|fetch first|stale info/i.test(details)) return new HttpError(409, "non_fast_forward", NOT_FAST_FORWARD);
    return new HttpError(502, "push_rejected", `The remote refused the push${details ? `: ${details}` : "."}`);
  }
  if (code === Errors.UserCanceledError.code) {
    return remoteRefusedToken(label);
  }
  if (code === Errors.HttpError.code) {
    const { statusCode } = (err as InstanceType<typeof Errors.HttpError>).data;
    if (statusCode === 401 || statusCode === 403) return remoteRefusedToken(label);
    if (statusCode === 404) {
      return new HttpError(400, "remote_not_found", `${remoteHost} has no repository at that URL, or your ${label} token cannot see it.`);
    }
    if (statusCode >= 300 && statusCode < 400) {
      return new HttpError(400, "remote_redirect", `${remoteHost} redirected the push; use the repository's current URL.`);
    }
    return new HttpError(502, "remote_error", `${remoteHost} answered HTTP ${statusCode}. Try again later.`);
  }
  if (code === Errors.SmartHttpError.code) {
    return new HttpError(502, "remote_not_git", `${remoteHost} did not answer like a Git server. Check the remote URL.`);
  }
  if ((typeof code === "string" && UNREACHABLE_CODES.has(code)) || name === "TimeoutError" || name === "AbortError") {
    return new HttpError(502, "remote_unreachable", `Could not reach ${remoteHost}. Check the URL or try again later.`);
  }
  log.error({ host: remoteHost, error: scrub(err instanceof Error ? `${err.name}: ${err.message}` : String(err)) }, "git push failed");
  return new HttpError(502, "push_failed", `Pushing to ${remoteHost} failed. Try again later.`);
}

function remoteRefusedToken(label: string): HttpError {
  return new HttpError(
    403,
    "remote_auth_failed",
    `The remote refused the token. Check that your ${label} token in Settings is valid and may push to this repository.`,
  );
}
