import type { ProjectStatus } from "@/lib/store/types";

const TONE: Record<ProjectStatus, string> = {
  pending: "border-zinc-600 text-zinc-300",
  generating: "border-brand-500 text-brand-300",
  completed: "border-emerald-600 text-emerald-300",
  completed_with_issues: "border-amber-600 text-amber-300",
  failed: "border-red-600 text-red-300",
  archived: "border-zinc-700 text-zinc-500",
};

export function ProjectStatusBadge({ status }: { status: ProjectStatus }) {
  return (
    <span className={`inline-flex rounded-full border px-2 py-0.5 text-xs font-medium ${TONE[status]}`}>{status.replaceAll("_", " ")}</span>
  );
}
