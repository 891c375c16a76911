"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { buttonPrimary, buttonSecondary } from "@/components/ui/styles";
import { PanelError, SkeletonLines } from "@/components/workspace/PanelStates";
import { apiJson, errorMessage } from "@/lib/client/api";
import { deploymentStatsKey, deploymentsKey } from "@/lib/client/query-keys";
import { relativeTime } from "@/lib/client/relative-time";
import { PROVIDER_LABELS } from "@/lib/deploy/labels";
import type { PublicDeployment } from "@/lib/deploy/service";
import type { DeployProviderSummary } from "@/lib/deploy/tokens";
import type { DeploymentProvider, DeploymentStatus } from "@/lib/store/types";

interface DeploymentsResponse {
  deployments: PublicDeployment[];
  providers: DeployProviderSummary[];
}

const POLL_INTERVAL_MS = 2_000;

const isRunning = (status: DeploymentStatus) => status === "pending" || status === "building";

const STATUS_STYLES: Record<DeploymentStatus, string> = {
  pending: "border-zinc-600 text-zinc-300",
  building: "border-amber-700 text-amber-300",
  success: "border-emerald-700 text-emerald-300",
  failed: "border-red-800 text-red-300",
  canceled: "border-zinc-700 text-zinc-400",
};

function StatusBadge({ status }: { status: DeploymentStatus }) {
  return (
    <span className={`rounded-full border px-1.5 text-[10px] ${STATUS_STYLES[status]}`} data-testid="deployment-status">
      {status}
    </span>
  );
}

function tokenNote(summary: DeployProviderSummary) {
  if (summary.source === "user") return "your token";
  if (summary.source === "platform") return "platform token";
  return "no token";
}

/** Deploy the project's current files to Vercel, Netlify or Railway, follow the build, and see past deployments. */
export default function DeployPanel({ projectId }: { projectId: string }) {
  const queryClient = useQueryClient();
  const [chosen, setChosen] = useState<DeploymentProvider | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const deployments = useQuery({
    queryKey: deploymentsKey(projectId),
    queryFn: () => apiJson<DeploymentsResponse>(`/api/projects/${projectId}/deployments`),
    refetchInterval: (query) =>
      query.state.data?.deployments.some((d) => isRunning(d.status)) ? POLL_INTERVAL_MS : false,
  });

  const onChanged = (deployment: PublicDeployment) => {
    setActionError(null);
    queryClient.setQueryData<DeploymentsResponse>(deploymentsKey(projectId), (old) =>
      old
        ? { ...old, deployments: [deployment, ...old.deployments.filter((d) => d.id !== deployment.id)] }
        : old,
    );
    void queryClient.invalidateQueries({ queryKey: deploymentsKey(projectId) });
    void queryClient.invalidateQueries({ queryKey: deploymentStatsKey() });
  };
  const onError = (err: unknown) => setActionError(errorMessage(err));

  const deploy = useMutation({
    mutationFn: (provider: DeploymentProvider) =>
      apiJson<{ deployment: PublicDeployment }>(`/api/projects/${projectId}/deployments`, {
        method: "POST",
        json: { provider },
      }),
    onSuccess: ({ deployment }) => onChanged(deployment),
    onError,
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: "cancel" | "retry" }) =>
      apiJson<{ deployment: PublicDeployment }>(`/api/projects/${projectId}/deployments/${id}/${action}`, {
        method: "POST",
      }),
    onSuccess: ({ deployment }) => onChanged(deployment),
    onError,
  });

  if (deployments.isPending) return <SkeletonLines label="deployments" count={4} />;
  if (deployments.isError) {
    return (
      <PanelError
        message={`Could not load deployments: ${errorMessage(deployments.error)}`}
        onRetry={() => void deployments.refetch()}
      />
    );
  }

  const { providers, deployments: history } = deployments.data;
  const provider = chosen ?? providers.find((p) => p.available)?.provider ?? "vercel";
  const selected = providers.find((p) => p.provider === provider);
  const current = history[0];
  const busy = deploy.isPending || act.isPending;

  return (
    <div className="flex h-full flex-col overflow-y-auto p-3 text-sm" data-testid="deploy-panel">
      <fieldset>
        <legend className="mb-2 font-medium text-zinc-200">Deploy the current version to</legend>
        <div className="space-y-1">
          {providers.map((p) => (
            <label key={p.provider} className="flex items-center gap-2 rounded px-1 py-0.5 hover:bg-zinc-900">
              <input
                type="radio"
                name={`deploy-provider-${projectId}`}
                value={p.provider}
                checked={provider === p.provider}
                onChange={() => setChosen(p.provider)}
              />
              <span className="text-zinc-100">{PROVIDER_LABELS[p.provider]}</span>
              <span className={`ml-auto text-[11px] ${p.available ? "text-zinc-400" : "text-zinc-500"}`}>
                {tokenNote(p)}
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      {selected && !selected.available ? (
        <p className="mt-3 text-xs text-zinc-400">
          {PROVIDER_LABELS[provider]} needs a token.{" "}
          <Link href="/settings" className="text-brand-300 underline">
            Add your {PROVIDER_LABELS[provider]} token in Settings
          </Link>
          .
        </p>
      ) : null}

      <button
        type="button"
        className={`${buttonPrimary} mt-3`}
        disabled={busy || !selected?.available}
        onClick={() => deploy.mutate(provider)}
      >
        {deploy.isPending ? `Uploading to ${PROVIDER_LABELS[provider]}…` : `Deploy to ${PROVIDER_LABELS[provider]}`}
      </button>

      {actionError && (
        <p role="alert" className="mt-2 rounded-md border border-red-900 bg-red-950/40 p-2 text-xs text-red-200">
          {actionError}
        </p>
      )}

      {current ? (
        <CurrentDeployment
          deployment={current}
          busy={busy}
          onCancel={() => act.mutate({ id: current.id, action: "cancel" })}
          onRetry={() => act.mutate({ id: current.id, action: "retry" })}
        />
      ) : (
        <p className="mt-4 text-zinc-400">No deployments yet. Pick a provider and deploy.</p>
      )}

      {history.length > 0 && (
        <section className="mt-4" aria-label="Deployment history">
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500">History</h3>
          <ol className="divide-y divide-zinc-800/60" data-testid="deployment-history">
            {history.map((d) => (
              <li key={d.id} className="flex items-center gap-2 py-1.5">
                <StatusBadge status={d.status} />
                <span className="text-zinc-200">{PROVIDER_LABELS[d.provider]}</span>
                {d.url && d.status === "success" ? (
                  <a href={d.url} target="_blank" rel="noreferrer" className="min-w-0 truncate text-xs text-brand-300 underline">
                    {d.url.replace(/^https?:\/\//, "")}
                  </a>
                ) : null}
                <time className="ml-auto shrink-0 text-[11px] text-zinc-500" dateTime={new Date(d.createdAt).toISOString()}>
                  {relativeTime(d.createdAt)}
                </time>
              </li>
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}

const STEPS: DeploymentStatus[] = ["pending", "building"];

function CurrentDeployment({
  deployment,
  busy,
  onCancel,
  onRetry,
}: {
  deployment: PublicDeployment;
  busy: boolean;
  onCancel(): void;
  onRetry(): void;
}) {
  const running = isRunning(deployment.status);
  const reached = (step: DeploymentStatus) =>
    !running || STEPS.indexOf(deployment.status) >= STEPS.indexOf(step) ? "text-zinc-100" : "text-zinc-500";
  return (
    <section className="mt-4 rounded-md border border-zinc-800 p-3" aria-label="Latest deployment" data-testid="current-deployment">
      <div className="flex items-center gap-2">
        <span className="font-medium text-zinc-100">{PROVIDER_LABELS[deployment.provider]}</span>
        <StatusBadge status={deployment.status} />
        <span className="ml-auto text-[11px] text-zinc-500">{relativeTime(deployment.createdAt)}</span>
      </div>
      <ol className="mt-2 flex items-center gap-1 text-xs" aria-label="Progress">
        <li className={reached("pending")}>pending</li>
        <li aria-hidden="true" className="text-zinc-600">→</li>
        <li className={reached("building")}>building</li>
        <li aria-hidden="true" className="text-zinc-600">→</li>
        <li className={running ? "text-zinc-500" : deployment.status === "success" ? "text-emerald-300" : "text-red-300"}>
          {running ? "live" : deployment.status}
        </li>
      </ol>
      {running && (
        <p role="status" aria-live="polite" className="mt-2 text-xs text-zinc-400">
          <span className="inline-block h-2 w-2 animate-pulse rounded-full bg-amber-400 align-middle" aria-hidden="true" />{" "}
          {deployment.status === "pending" ? "Waiting for the provider…" : "Building…"}
        </p>
      )}
      {deployment.status === "success" && deployment.url && (
        <p className="mt-2">
          Live at{" "}
          <a href={deployment.url} target="_blank" rel="noreferrer" className="break-all text-brand-300 underline" data-testid="deployment-url">
            {deployment.url}
          </a>
        </p>
      )}
      {deployment.logs && (
        <details className="mt-2" open={deployment.status === "failed"}>
          <summary className="cursor-pointer text-xs text-zinc-400">Logs</summary>
          <pre
            className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap rounded bg-zinc-950 p-2 font-mono text-[11px] text-zinc-300"
            data-testid="deployment-logs"
          >
            {deployment.logs}
          </pre>
        </details>
      )}
      <div className="mt-2 flex gap-2">
        {running && (
          <button type="button" className={`${buttonSecondary} px-3 py-1 text-xs`} disabled={busy} onClick={onCancel}>
            Cancel
          </button>
        )}
        {(deployment.status === "failed" || deployment.status === "canceled") && (
          <button type="button" className={`${buttonSecondary} px-3 py-1 text-xs`} disabled={busy} onClick={onRetry}>
            Retry
          </button>
        )}
      </div>
    </section>
  );
}
