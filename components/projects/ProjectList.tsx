import Link from "next/link";
import { formatDateTime } from "@/components/format";
import type { Project } from "@/lib/store/types";
import { DeleteProjectButton } from "./DeleteProjectButton";
import { ProjectStatusBadge } from "./ProjectStatusBadge";

export function ProjectList({ projects }: { projects: Project[] }) {
  return (
    <ul className="divide-y divide-zinc-800 rounded-xl border border-zinc-800" aria-label="Your projects">
      {projects.map((project) => (
        <li key={project.id} className="flex items-center gap-2 pr-4 hover:bg-zinc-900">
          <Link href={`/projects/${project.id}`} className="flex min-w-0 flex-1 items-start justify-between gap-4 px-5 py-4">
            <div className="min-w-0">
              <p className="truncate font-semibold text-zinc-100">{project.name}</p>
              {project.description && (
                <p className="mt-1 line-clamp-2 text-sm text-zinc-400">{project.description}</p>
              )}
              <p className="mt-1 text-xs text-zinc-500">Created {formatDateTime(project.createdAt)}</p>
            </div>
            <ProjectStatusBadge status={project.status} />
          </Link>
          <DeleteProjectButton project={{ id: project.id, name: project.name }} afterDelete="refresh" />
        </li>
      ))}
    </ul>
  );
}
