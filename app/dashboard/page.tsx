import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { CheckoutSuccessNotice } from "@/components/billing/CheckoutSuccessNotice";
import { CreditBalance } from "@/components/CreditBalance";
import { DeploymentStatsCard } from "@/components/deploy/DeploymentStatsCard";
import { NewProjectForm } from "@/components/projects/NewProjectForm";
import { ProjectList } from "@/components/projects/ProjectList";
import { card } from "@/components/ui/styles";
import { getUser } from "@/lib/auth";
import { deploymentStats } from "@/lib/deploy/service";
import { listProjects } from "@/lib/projects/service";
import { getStore } from "@/lib/store";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const user = await getUser();
  if (!user) redirect("/sign-in");
  const store = await getStore();
  const [balance, projects, deployments] = await Promise.all([
    store.getBalance(user.id),
    listProjects(user.id),
    deploymentStats(user.id),
  ]);

  return (
    <div className="mx-auto max-w-6xl px-4 py-10 sm:px-6">
      <h1 className="text-3xl font-bold tracking-tight text-zinc-50">Dashboard</h1>
      <p className="mt-1 text-sm text-zinc-400">Signed in as {user.email}</p>
      <Suspense>
        <CheckoutSuccessNotice />
      </Suspense>

      <div className="mt-8 grid gap-6 lg:grid-cols-3">
        <div className="space-y-6">
          <CreditBalance credits={balance} />
          <DeploymentStatsCard stats={deployments} />
        </div>

        <div className="space-y-8 lg:col-span-2">
          {/* One place whatever the list holds: a refresh after creating a project keeps the form and its messages. */}
          <div className={card}>
            {projects.length === 0 && (
              <p className="mb-4 text-sm text-zinc-400">
                Name it, describe the app you want, and AUTOCREA&apos;s AI roles build it while you watch.
              </p>
            )}
            <NewProjectForm />
          </div>
          <section aria-labelledby="projects-title">
            <h2 id="projects-title" className="text-lg font-semibold text-zinc-50">
              Your projects
            </h2>
            <div className="mt-4">
              {projects.length > 0 ? (
                <ProjectList projects={projects} />
              ) : (
                <p className="text-sm text-zinc-400">No projects yet.</p>
              )}
            </div>
          </section>
        </div>
      </div>
    </div>
  );
}
