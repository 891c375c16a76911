import { card } from "@/components/ui/styles";
import type { DeploymentStats } from "@/lib/deploy/service";
import type { DeploymentStatus } from "@/lib/store/types";

const ORDER: DeploymentStatus[] = ["success", "failed", "canceled", "building", "pending"];

/** The user's deployments at a glance: total, success rate and a count per status. */
export function DeploymentStatsCard({ stats }: { stats: DeploymentStats }) {
  return (
    <section className={card} aria-labelledby="deployment-stats-title" data-testid="deployment-stats">
      <h2 id="deployment-stats-title" className="text-sm font-semibold text-zinc-300">
        Deployments
      </h2>
      {stats.total === 0 ? (
        <p className="mt-2 text-sm text-zinc-400">
          No deployments yet. Open a project and use its Deploy tab to publish it to Vercel, Netlify or Railway.
        </p>
      ) : (
        <>
          <p className="mt-2 flex items-baseline gap-4">
            <span>
              <span className="text-3xl font-bold text-zinc-50">{stats.total}</span>{" "}
              <span className="text-sm text-zinc-400">total</span>
            </span>
            <span>
              <span className="text-xl font-semibold text-zinc-100">
                {stats.successRate === null ? "—" : `${Math.round(stats.successRate * 100)}%`}
              </span>{" "}
              <span className="text-sm text-zinc-400">success rate</span>
            </span>
          </p>
          <dl className="mt-3 grid grid-cols-3 gap-2 text-xs">
            {ORDER.filter((s) => stats.byStatus[s] > 0 || s === "success" || s === "failed").map((status) => (
              <div key={status} className="rounded-md border border-zinc-800 px-2 py-1">
                <dt className="text-zinc-500">{status}</dt>
                <dd className="text-sm font-semibold text-zinc-100">{stats.byStatus[status]}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}
