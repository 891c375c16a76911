import Link from "next/link";
import { formatDateTime } from "@/components/format";
import type { Project } from "@/lib/store/types";
import { ProjectStatusBadge } from "./ProjectStatusBadge";

export function ProjectList({ projects }: { projects: Project[] }) {
  return (
    <ul className="divide-y divide-zinc-800 rounded-xl border border-zinc-800" aria-label="Your projects">
      {projects.map((project) => (
        <li key={project.id}>
          <Link
            href={`/projects/${project.id}`}
            className="flex items-start justify-between gap-4 px-5 py-4 hover:bg-zinc-900"
          >
            <div className="min-w-0">
              <p className="truncate font-semibold text-zinc-100">{project.name}</p>
              {project.description && (
                <p className="mt-1 line-clamp-2 text-sm text-zinc-400">{project.description}</p>
              )}
              <p className="mt-1 text-xs text-zinc-500">Created {formatDateTime(project.createdAt)}</p>
            </div>
            <ProjectStatusBadge status={project.status} />
          </Link>
        </li>
      ))}
    </ul>
  );
}
