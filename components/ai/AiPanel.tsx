"use client";

import { ActionsTab } from "./ActionsTab";

/** AI actions on the open file or selection (explain, fix, refactor); questions and changes are in the Chat tab. */
export default function AiPanel({ projectId }: { projectId: string }) {
  return (
    <section aria-label="AI actions" className="h-full min-h-0 overflow-auto p-4" data-project-id={projectId}>
      <ActionsTab projectId={projectId} />
    </section>
  );
}
