"use client";

/** Placeholder until this panel is built; the workspace shell imports it by this path. */
export default function Panel({ projectId }: { projectId: string }) {
  return (
    <section aria-label="Run" data-project-id={projectId} className="p-4 text-sm text-zinc-400">
      Run is not available yet.
    </section>
  );
}
