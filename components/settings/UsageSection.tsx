"use client";

import { useEffect, useId, useState } from "react";
import { formatDateTime } from "@/components/format";
import { card } from "@/components/ui/styles";
import { NETWORK_PROBLEM, problemFrom } from "@/lib/client/api-errors";

interface Totals {
  requests: number;
  tokens: number;
  credits: number;
}

interface Usage {
  balance: number;
  stats: { totalRequests: number; totalTokens: number; totalCredits: number; byKind: Record<string, Totals>; byModel: Record<string, Totals> };
  recent: { id: string; projectId: string | null; kind: string; model: string; tokens: number; credits: number; createdAt: number }[];
}

const number = (n: number) => n.toLocaleString("en");

/** Usage history from GET /api/usage: totals by kind and model, and the latest requests. */
export function UsageSection() {
  const id = useId();
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    fetch("/api/usage", { cache: "no-store", signal: abort.signal })
      .then(async (response) => {
        if (!response.ok) return setError((await problemFrom(response)).message);
        setUsage((await response.json()) as Usage);
      })
      .catch(() => {
        if (!abort.signal.aborted) setError(NETWORK_PROBLEM.message);
      });
    return () => abort.abort();
  }, []);

  return (
    <section aria-labelledby={`${id}-title`} className={card}>
      <h2 id={`${id}-title`} className="text-lg font-semibold text-zinc-50">
        Usage
      </h2>
      {error && (
        <p role="alert" className="mt-3 text-sm text-red-400">
          Could not load your usage: {error}
        </p>
      )}
      {!usage && !error && <p className="mt-3 text-sm text-zinc-500">Loading usage…</p>}
      {usage && usage.stats.totalRequests === 0 && (
        <p className="mt-3 text-sm text-zinc-400">
          No AI usage yet. Generations and AI actions will be listed here with their tokens and credits. Balance: {usage.balance} credits.
        </p>
      )}
      {usage && usage.stats.totalRequests > 0 && (
        <div className="mt-4 space-y-6">
          <dl className="grid grid-cols-2 gap-4 text-sm sm:grid-cols-4">
            <Stat label="Balance" value={`${number(usage.balance)} credits`} />
            <Stat label="Requests" value={number(usage.stats.totalRequests)} />
            <Stat label="Tokens" value={number(usage.stats.totalTokens)} />
            <Stat label="Credits used" value={number(usage.stats.totalCredits)} />
          </dl>
          <div className="grid items-start gap-6 md:grid-cols-2">
            <TotalsTable caption="By kind" column="Kind" rows={usage.stats.byKind} />
            <TotalsTable caption="By model" column="Model" rows={usage.stats.byModel} />
          </div>
          <div>
            <h3 className="text-sm font-semibold text-zinc-200">Recent requests</h3>
            <div className="mt-2 overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="text-xs text-zinc-500">
                  <tr>
                    <th scope="col" className="py-1 pr-4 font-medium">When</th>
                    <th scope="col" className="py-1 pr-4 font-medium">Kind</th>
                    <th scope="col" className="py-1 pr-4 font-medium">Model</th>
                    <th scope="col" className="py-1 pr-4 text-right font-medium">Tokens</th>
                    <th scope="col" className="py-1 text-right font-medium">Credits</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-800 text-zinc-300">
                  {usage.recent.map((r) => (
                    <tr key={r.id}>
                      <td className="py-1.5 pr-4 whitespace-nowrap text-zinc-400">{formatDateTime(r.createdAt)}</td>
                      <td className="py-1.5 pr-4">{r.kind}</td>
                      <td className="py-1.5 pr-4 font-mono text-xs">{r.model}</td>
                      <td className="py-1.5 pr-4 text-right tabular-nums">{number(r.tokens)}</td>
                      <td className="py-1.5 text-right tabular-nums">{number(r.credits)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-xs text-zinc-500">{label}</dt>
      <dd className="mt-1 font-semibold text-zinc-100">{value}</dd>
    </div>
  );
}

function TotalsTable({ caption, column, rows }: { caption: string; column: string; rows: Record<string, Totals> }) {
  const entries = Object.entries(rows).sort((a, b) => b[1].credits - a[1].credits || b[1].requests - a[1].requests);
  return (
    <table className="w-full text-left text-sm">
      <caption className="mb-2 text-left text-sm font-semibold text-zinc-200">{caption}</caption>
      <thead className="text-xs text-zinc-500">
        <tr>
          <th scope="col" className="py-1 pr-4 font-medium">{column}</th>
          <th scope="col" className="py-1 pr-4 text-right font-medium">Requests</th>
          <th scope="col" className="py-1 pr-4 text-right font-medium">Tokens</th>
          <th scope="col" className="py-1 text-right font-medium">Credits</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-zinc-800 text-zinc-300">
        {entries.map(([name, t]) => (
          <tr key={name}>
            <th scope="row" className="py-1.5 pr-4 font-normal">{name}</th>
            <td className="py-1.5 pr-4 text-right tabular-nums">{number(t.requests)}</td>
            <td className="py-1.5 pr-4 text-right tabular-nums">{number(t.tokens)}</td>
            <td className="py-1.5 text-right tabular-nums">{number(t.credits)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
