import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { formatDateTime } from "@/components/format";
import { ProjectStatusBadge } from "@/components/projects/ProjectStatusBadge";
import { card } from "@/components/ui/styles";
import { getUser } from "@/lib/auth";
import { findProject } from "@/lib/projects/service";

export const metadata: Metadata = { title: "Project" };

// No loading.tsx on this route or above it: notFound() must run before
// streaming starts, or the response would go out as 200 (see Next's loading.js docs).
export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await getUser();
  if (!user) redirect("/sign-in");
  const { id } = await params;
  const project = await findProject(user.id, id);
  if (!project) notFound();

  return (
    <div className="mx-auto max-w-4xl px-4 py-10 sm:px-6">
      <nav aria-label="Breadcrumb" className="text-sm text-zinc-400">
        <Link href="/dashboard" className="hover:text-zinc-100">
          Dashboard
        </Link>
        <span aria-hidden="true"> / </span>
        <span className="text-zinc-300">{project.name}</span>
      </nav>

      <header className="mt-4 flex flex-wrap items-center gap-3">
        <h1 className="text-3xl font-bold tracking-tight text-zinc-50">{project.name}</h1>
        <ProjectStatusBadge status={project.status} />
      </header>
      {project.description ? (
        <p className="mt-3 whitespace-pre-line text-zinc-300">{project.description}</p>
      ) : (
        <p className="mt-3 text-zinc-500">No description.</p>
      )}

      <dl className="mt-6 grid gap-4 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-zinc-500">Status</dt>
          <dd className="mt-1 text-zinc-200">{project.status}</dd>
        </div>
        <div>
          <dt className="text-zinc-500">Created</dt>
          <dd className="mt-1 text-zinc-200">
            <time dateTime={new Date(project.createdAt).toISOString()}>{formatDateTime(project.createdAt)}</time>
          </dd>
        </div>
        {project.framework && (
          <div>
            <dt className="text-zinc-500">Framework</dt>
            <dd className="mt-1 text-zinc-200">{project.framework}</dd>
          </div>
        )}
      </dl>

      <section aria-labelledby="workspace-title" className={`${card} mt-10 border-dashed text-center`}>
        <h2 id="workspace-title" className="text-lg font-semibold text-zinc-100">
          Workspace
        </h2>
        <p className="mt-2 text-sm text-zinc-400" data-testid="workspace-placeholder">
          The workspace — chat, live file tree, editor and terminal — arrives with generation.
        </p>
      </section>
    </div>
  );
}
