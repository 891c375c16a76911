"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { buttonPrimary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { PanelError, SkeletonLines } from "@/components/workspace/PanelStates";
import { ApiError, apiJson, errorMessage } from "@/lib/client/api";
import { gitLogKey } from "@/lib/client/query-keys";
import { relativeTime } from "@/lib/client/relative-time";
import type { GitLog } from "@/lib/git/log";
import type { PushOutcome } from "@/lib/git/push-project";

type Provider = "github" | "gitlab";

const PROVIDERS: Array<{ id: Provider; label: string; placeholder: string }> = [
  { id: "github", label: "GitHub", placeholder: "https://github.com/you/app.git" },
  { id: "gitlab", label: "GitLab", placeholder: "https://gitlab.com/you/app.git" },
];

const DEFAULT_BRANCH = "autocrea";

/** The project's versions as Git commits, and a form to push them to a GitHub or GitLab branch. */
export default function GitPanel({ projectId }: { projectId: string }) {
  const [provider, setProvider] = useState<Provider>("github");
  const [remoteUrl, setRemoteUrl] = useState("");
  const [branch, setBranch] = useState(DEFAULT_BRANCH);

  const log = useQuery({
    queryKey: gitLogKey(projectId),
    queryFn: () => apiJson<GitLog>(`/api/projects/${projectId}/git`),
  });

  const push = useMutation({
    mutationFn: () =>
      apiJson<PushOutcome>(`/api/projects/${projectId}/git/push`, {
        method: "POST",
        json: { provider, remoteUrl: remoteUrl.trim(), branch: branch.trim() },
      }),
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    push.mutate();
  };

  const providerInfo = PROVIDERS.find((p) => p.id === provider)!;
  const hasCommits = (log.data?.commits.length ?? 0) > 0;
  const needsToken = push.error instanceof ApiError && push.error.code === "no_token";

  return (
    <div className="flex h-full flex-col overflow-y-auto p-3 text-sm" data-testid="git-panel">
      <form onSubmit={onSubmit} className="space-y-2" aria-label="Push to a Git remote">
        <p className="font-medium text-zinc-200">Push the history to a Git remote</p>
        <label className={fieldLabel}>
          Host
          <select
            className={fieldInput}
            value={provider}
            onChange={(e) => setProvider(e.target.value as Provider)}
            disabled={push.isPending}
          >
            {PROVIDERS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label className={fieldLabel}>
          Repository URL (https)
          <input
            className={fieldInput}
            type="url"
            required
            inputMode="url"
            placeholder={providerInfo.placeholder}
            value={remoteUrl}
            onChange={(e) => setRemoteUrl(e.target.value)}
            disabled={push.isPending}
          />
        </label>
        <label className={fieldLabel}>
          Branch
          <input
            className={fieldInput}
            required
            value={branch}
            onChange={(e) => setBranch(e.target.value)}
            disabled={push.isPending}
            spellCheck={false}
          />
        </label>
        <button type="submit" className={`${buttonPrimary} w-full`} disabled={push.isPending || !hasCommits}>
          {push.isPending ? `Pushing to ${providerInfo.label}…` : `Push to ${providerInfo.label}`}
        </button>
        <p className="text-[11px] text-zinc-500">
          Uses your {providerInfo.label} token from Settings. Never forced: a branch with other commits is left alone.
        </p>
      </form>

      {push.isSuccess && (
        <p role="status" className="mt-2 rounded-md border border-emerald-800 bg-emerald-950/40 p-2 text-xs text-emerald-200">
          Pushed <code className="font-mono">{push.data.commit.slice(0, 7)}</code> to{" "}
          <span className="font-mono">{push.data.branch}</span>.
        </p>
      )}
      {push.isError && (
        <div role="alert" className="mt-2 rounded-md border border-red-900 bg-red-950/40 p-2 text-xs text-red-200">
          <p>{errorMessage(push.error)}</p>
          {needsToken && (
            <Link href="/settings" className="mt-1 inline-block text-brand-300 underline">
              Add your {providerInfo.label} token in Settings
            </Link>
          )}
        </div>
      )}

      <h3 className="mt-4 mb-1 font-medium text-zinc-200">
        Commits on <span className="font-mono">{log.data?.branch ?? "main"}</span>
      </h3>
      {log.isPending ? (
        <SkeletonLines label="commits" count={4} />
      ) : log.isError ? (
        <PanelError message={`Could not load the commits: ${errorMessage(log.error)}`} onRetry={() => void log.refetch()} />
      ) : !hasCommits ? (
        <p className="text-xs text-zinc-400">No commits yet: every saved version becomes one.</p>
      ) : (
        <ol className="space-y-1" aria-label="Commits">
          {log.data.commits.map((commit) => (
            <li key={commit.oid} className="rounded px-1 py-0.5 hover:bg-zinc-900">
              <div className="flex items-baseline gap-2">
                <code className="font-mono text-[11px] text-brand-300" title={commit.oid}>
                  {commit.oid.slice(0, 7)}
                </code>
                <span className="min-w-0 flex-1 truncate text-zinc-100" title={commit.message}>
                  {commit.message || `Version ${commit.number}`}
                </span>
              </div>
              <div className="pl-12 text-[11px] text-zinc-500">
                v{commit.number} · {relativeTime(commit.createdAt)}
              </div>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
