"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DeleteProjectButton } from "@/components/projects/DeleteProjectButton";
import { ProjectStatusBadge } from "@/components/projects/ProjectStatusBadge";
import { buttonSecondary } from "@/components/ui/styles";
import { apiJson } from "@/lib/client/api";
import { balanceKey, projectKey } from "@/lib/client/query-keys";
import { downloadUrl, fetchBalance } from "@/lib/client/workspace-api";
import type { WorkspaceProject } from "./Workspace";

export function WorkspaceHeader({ project, initialBalance }: { project: WorkspaceProject; initialBalance: number }) {
  const { data: current } = useQuery({
    queryKey: projectKey(project.id),
    queryFn: async () => (await apiJson<{ project: WorkspaceProject }>(`/api/projects/${project.id}`)).project,
    initialData: project,
  });
  const { data: balance } = useQuery({ queryKey: balanceKey(), queryFn: fetchBalance, initialData: initialBalance });

  return (
    <header className="flex shrink-0 items-center gap-3 border-b border-zinc-800 px-4 py-2">
      {/* The name keeps its room (up to half the bar); the description gives way first. */}
      <nav aria-label="Breadcrumb" className="flex max-w-[50%] min-w-0 shrink-0 items-center gap-2 text-sm">
        <Link href="/dashboard" className="text-zinc-400 hover:text-zinc-100">
          Dashboard
        </Link>
        <span aria-hidden="true" className="text-zinc-600">
          /
        </span>
        <h1 className="truncate font-semibold text-zinc-50" title={current.name}>
          {current.name}
        </h1>
      </nav>
      <ProjectStatusBadge status={current.status} />
      {current.description && (
        <p className="hidden min-w-0 flex-1 truncate text-sm text-zinc-400 md:block" title={current.description}>
          {current.description}
        </p>
      )}
      <div className="ml-auto flex items-center gap-3 text-sm">
        <span className="text-zinc-400">
          <span className="font-semibold text-zinc-100" data-testid="workspace-balance">
            {balance}
          </span>{" "}
          {balance === 1 ? "credit" : "credits"}
        </span>
        <a
          href={downloadUrl(project.id)}
          download
          title="The current files plus the Git history (.git): every version is a commit"
          className={`${buttonSecondary} px-3 py-1.5`}
        >
          Download ZIP
        </a>
        <DeleteProjectButton project={{ id: project.id, name: current.name }} afterDelete="dashboard" />
      </div>
    </header>
  );
}
