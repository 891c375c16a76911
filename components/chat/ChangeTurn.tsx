"use client";

import { useId, useState } from "react";
import { buttonSecondary } from "@/components/ui/styles";
import { ChangeReview } from "@/components/run/ChangeReview";
import { IssueList } from "@/components/run/IssueList";
import { useCancelRun } from "@/components/run/useCancelRun";
import { useRunEvents } from "@/components/run/useRunEvents";
import { useStreamingMarks } from "@/components/run/useStreamingMarks";
import { useRunWorkspaceSync } from "@/components/run/useRunWorkspaceSync";
import type { RunState } from "@/lib/client/run-state";
import type { ChangeSummary } from "@/lib/workspace/change-summary";

interface ChangeTurnProps {
  projectId: string;
  change: ChangeSummary;
  /** The newest change: its diff is shown open. */
  newest: boolean;
}

/** One change request in the chat: what was asked, then the change as it happens, or what it did. */
export function ChangeTurn({ projectId, change, newest }: ChangeTurnProps) {
  return (
    <li className="space-y-2" data-testid="chat-change" data-run-id={change.runId} data-status={change.status}>
      <UserBubble text={change.request} />
      {change.status === "running" ? (
        <LiveChange key={change.runId} projectId={projectId} change={change} newest={newest} />
      ) : (
        <ChangeResult projectId={projectId} change={change} newest={newest} />
      )}
    </li>
  );
}

export function UserBubble({ text }: { text: string }) {
  return <div className="ml-6 rounded-md bg-zinc-800 px-3 py-2 text-sm break-words whitespace-pre-wrap text-zinc-100">{text}</div>;
}

/** The change's live events (the same stream as the Run panel's): the step, the file being written, Cancel. */
function LiveChange({ projectId, change, newest }: ChangeTurnProps) {
  const { state, connection } = useRunEvents(change.runId, useRunWorkspaceSync(projectId));
  const cancel = useCancelRun(change.runId);
  useStreamingMarks(state);

  if (state.outcome) return <ChangeResult projectId={projectId} change={summaryOf(change, state)} newest={newest} />;
  const step = state.steps.at(-1);
  const writing = state.files.filter((f) => f.activity === "writing").map((f) => f.path);
  const done = state.files.filter((f) => f.activity !== "writing");
  return (
    <div role="status" className="space-y-2 rounded-md border border-sky-900 bg-sky-950/30 p-3 text-sm text-sky-100" data-testid="chat-change-live">
      <p>
        {writing.length > 0 ? (
          <>
            Writing <span className="font-mono">{writing.join(", ")}</span>…
          </>
        ) : step ? (
          STEP_TEXT[step.role] ?? `The ${step.role} is working…`
        ) : connection === "connecting" ? (
          "Starting…"
        ) : (
          "Reading the files the change is about…"
        )}
      </p>
      {done.length > 0 && <FileLines files={done.map((f) => ({ path: f.path, action: f.activity === "writing" ? "written" : f.activity }))} />}
      <div className="flex items-center gap-2 text-xs text-sky-200/80">
        {state.reserved > 0 && (
          <span data-testid="chat-change-meter">
            {state.spent} of {state.reserved} credits
          </span>
        )}
        <button
          type="button"
          onClick={() => void cancel.cancel()}
          disabled={cancel.pending}
          className={`${buttonSecondary} ml-auto px-3 py-1 text-xs disabled:opacity-50`}
        >
          {cancel.pending ? "Canceling…" : "Cancel"}
        </button>
      </div>
      {cancel.error && (
        <p role="alert" className="text-xs text-red-400">
          {cancel.error}
        </p>
      )}
    </div>
  );
}

const STEP_TEXT: Partial<Record<string, string>> = {
  editor: "The editor is changing the files…",
  fixer: "A check failed: the fixer is working on it…",
};

/** The live run's outcome in the list's shape, so a change just finished looks like one listed. */
function summaryOf(change: ChangeSummary, state: RunState): ChangeSummary {
  const outcome = state.outcome!;
  return {
    ...change,
    status: state.status === "pending" || state.status === "running" ? change.status : state.status,
    spent: outcome.spent,
    version: outcome.version,
    files: state.files.map((f) => ({ path: f.path, action: f.activity === "writing" ? "written" : f.activity })),
    issues: outcome.issues,
    error: outcome.error,
  };
}

const RESULT_STYLES: Record<string, { box: string; title: string }> = {
  completed: { box: "border-emerald-800 bg-emerald-950/40 text-emerald-100", title: "Changed, and the checks passed" },
  completed_with_issues: { box: "border-amber-800 bg-amber-950/40 text-amber-100", title: "Changed, with issues" },
  failed: { box: "border-red-800 bg-red-950/40 text-red-100", title: "The change failed" },
  canceled: { box: "border-zinc-700 bg-zinc-900 text-zinc-200", title: "Canceled" },
};

function ChangeResult({ projectId, change, newest }: ChangeTurnProps) {
  const diffId = useId();
  const [showDiff, setShowDiff] = useState(newest);
  // A newer change folds this one's diff (each is a Monaco editor); it opens again on demand.
  const [wasNewest, setWasNewest] = useState(newest);
  if (wasNewest !== newest) {
    setWasNewest(newest);
    if (!newest) setShowDiff(false);
  }
  const style = RESULT_STYLES[change.status] ?? RESULT_STYLES.failed;
  const credits = change.spent ?? 0;
  const unchanged = change.version === null && change.files.length === 0;
  const title =
    unchanged && change.status === "completed"
      ? "Nothing needed changing; the checks passed"
      : unchanged && change.status === "completed_with_issues"
        ? "Nothing was changed"
        : style.title;
  return (
    <div className={`space-y-2 rounded-md border p-3 text-sm ${style.box}`} data-testid="chat-change-result">
      <p>
        <span className="font-semibold">{title}</span>
        <span className="opacity-80">
          {" "}
          · {credits} {credits === 1 ? "credit" : "credits"}
          {change.version !== null ? ` · version ${change.version}` : ""}
        </span>
      </p>
      {change.error && <p>{change.error}</p>}
      <IssueList issues={change.issues} />
      {change.version === null ? (
        change.files.length > 0 && <FileLines files={change.files} />
      ) : (
        <div>
          <button
            type="button"
            aria-expanded={showDiff}
            aria-controls={diffId}
            onClick={() => setShowDiff((v) => !v)}
            className="text-xs underline underline-offset-2 opacity-80 hover:opacity-100"
          >
            {showDiff ? "Hide what changed" : `Show what changed (${change.files.length} ${change.files.length === 1 ? "file" : "files"})`}
          </button>
          <div id={diffId} hidden={!showDiff} className="mt-2 text-zinc-100">
            {showDiff && <ChangeReview projectId={projectId} version={change.version} />}
          </div>
        </div>
      )}
    </div>
  );
}

const ACTION_TEXT = { written: "written", edited: "edited", deleted: "deleted" } as const;

function FileLines({ files }: { files: ChangeSummary["files"] }) {
  return (
    <ul className="space-y-0.5 text-xs" aria-label="Files">
      {files.map((f) => (
        <li key={f.path}>
          <span className="font-mono">{f.path}</span> <span className="opacity-70">{ACTION_TEXT[f.action]}</span>
        </li>
      ))}
    </ul>
  );
}
