"use client";

import { buttonSecondary } from "@/components/ui/styles";
import { isRunFinished, roleRows, type LogEntry, type RoleRow, type RunState, type StepView } from "@/lib/client/run-state";
import { ChangeReview } from "./ChangeReview";
import { IssueList } from "./IssueList";
import { useCancelRun } from "./useCancelRun";
import { useRunEvents, type Connection } from "./useRunEvents";
import { useRunWorkspaceSync } from "./useRunWorkspaceSync";
import { useStreamingMarks } from "./useStreamingMarks";
import { formatElapsed, useNow, useStepTimes, type StepTime } from "./useStepTimes";

interface RunViewProps {
  projectId: string;
  runId: string;
  /** Shown once the run has ended: start another. */
  onNewRun(): void;
}

/** One run (a generation or a change request), live: steps, meter, files, notable events, and the outcome. */
export function RunView({ projectId, runId, onNewRun }: RunViewProps) {
  const onEvent = useRunWorkspaceSync(projectId);

  const { state, connection, endedWithoutEvent, reconnect } = useRunEvents(runId, onEvent);
  const finished = isRunFinished(state) || endedWithoutEvent !== null;

  // The workspace's "being written" marks follow the files the run has open right now.
  useStreamingMarks(state);

  const stepsVersion = state.steps.map((s) => `${s.stepId}:${s.status}`).join(",") + (finished ? ":end" : "");
  const times = useStepTimes(runId, stepsVersion);
  const now = useNow(!finished && state.steps.some((s) => s.status === "running"));

  const cancel = useCancelRun(runId);

  return (
    <div className="space-y-4" data-testid="run-view" data-run-status={state.status} data-run-kind={state.kind}>
      <div className="flex items-center gap-2">
        <h3 className="text-sm font-semibold text-zinc-100">{RUN_TITLES[state.kind]}</h3>
        <RunStatusPill state={state} endedWithoutEvent={endedWithoutEvent} />
        <div className="ml-auto flex gap-2">
          {finished ? (
            <button type="button" onClick={onNewRun} className={`${buttonSecondary} px-3 py-1 text-xs`}>
              New run
            </button>
          ) : (
            <button
              type="button"
              onClick={() => void cancel.cancel()}
              disabled={cancel.pending}
              className={`${buttonSecondary} px-3 py-1 text-xs disabled:cursor-not-allowed disabled:opacity-50`}
            >
              {cancel.pending ? "Canceling…" : "Cancel"}
            </button>
          )}
        </div>
      </div>
      {cancel.error && (
        <p role="alert" className="text-xs text-red-400">
          {cancel.error}
        </p>
      )}
      <ConnectionNote connection={connection} onReconnect={reconnect} />
      {state.kind === "change" && state.request && <ChangeRequestQuote request={state.request} />}

      <Outcome state={state} endedWithoutEvent={endedWithoutEvent} />
      {state.kind === "change" && state.outcome?.version != null && <ChangeReview projectId={projectId} version={state.outcome.version} />}
      <Meter state={state} />

      <section aria-label="Steps">
        <ol className="divide-y divide-zinc-800 rounded-md border border-zinc-800">
          {roleRows(state).map((row) => (
            <RoleRowItem key={row.kind === "step" ? row.step.stepId : `queued-${row.role}`} row={row} times={times} now={now} />
          ))}
        </ol>
      </section>

      <FilesList state={state} />
      <Logs logs={state.logs} />
    </div>
  );
}

const RUN_TITLES: Record<RunState["kind"], string> = { generation: "Generation", change: "Change" };

function ChangeRequestQuote({ request }: { request: string }) {
  return (
    <figure className="rounded-md border border-zinc-800 bg-zinc-950/60 p-3 text-sm">
      <figcaption className="text-xs text-zinc-500">You asked</figcaption>
      <blockquote className="mt-1 whitespace-pre-wrap break-words text-zinc-100" data-testid="run-request">
        {request}
      </blockquote>
    </figure>
  );
}

const STATUS_STYLES: Record<string, string> = {
  pending: "bg-zinc-800 text-zinc-300",
  running: "bg-sky-900/60 text-sky-200",
  completed: "bg-emerald-900/60 text-emerald-200",
  completed_with_issues: "bg-amber-900/60 text-amber-200",
  failed: "bg-red-900/60 text-red-200",
  canceled: "bg-zinc-800 text-zinc-300",
};

function RunStatusPill({ state, endedWithoutEvent }: { state: RunState; endedWithoutEvent: string | null }) {
  const status = endedWithoutEvent && !state.outcome ? endedWithoutEvent : state.status;
  const label = status === "pending" ? "connecting" : status.replaceAll("_", " ");
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_STYLES[status] ?? STATUS_STYLES.pending}`} data-testid="run-status">
      {label}
    </span>
  );
}

function ConnectionNote({ connection, onReconnect }: { connection: Connection; onReconnect(): void }) {
  if (connection === "reconnecting") {
    return (
      <p role="status" className="text-xs text-amber-300">
        Connection interrupted; reconnecting (the run goes on on the server)…
      </p>
    );
  }
  if (connection === "lost") {
    return (
      <p role="status" className="text-xs text-amber-300">
        Lost the connection to the run.{" "}
        <button type="button" onClick={onReconnect} className="underline underline-offset-2 hover:text-amber-200">
          Reconnect
        </button>
      </p>
    );
  }
  if (connection === "not_found") {
    return (
      <p role="alert" className="text-sm text-red-400">
        This run does not exist or is not yours.
      </p>
    );
  }
  return null;
}

function Outcome({ state, endedWithoutEvent }: { state: RunState; endedWithoutEvent: string | null }) {
  const { outcome } = state;
  if (!outcome) {
    if (!endedWithoutEvent) return null;
    return (
      <div role="status" className="rounded-md border border-zinc-700 bg-zinc-900 p-3 text-sm text-zinc-300">
        The run ended ({endedWithoutEvent}) without reporting its result; its files, if any, are in the latest version.
      </div>
    );
  }
  if (state.status === "completed") {
    return (
      <div role="status" className="rounded-md border border-emerald-800 bg-emerald-950/50 p-3 text-sm text-emerald-100" data-testid="run-outcome">
        <p className="font-semibold">Done{outcome.version !== null ? ` — saved as version ${outcome.version}` : " — no files changed"}.</p>
        <p className="mt-1 text-emerald-200/80">
          Spent {outcome.spent} {outcome.spent === 1 ? "credit" : "credits"}, refunded {outcome.refunded}.
        </p>
      </div>
    );
  }
  if (state.status === "completed_with_issues") {
    return (
      <div role="status" className="rounded-md border border-amber-800 bg-amber-950/40 p-3 text-sm text-amber-100" data-testid="run-outcome">
        <p className="font-semibold">
          Finished with issues{outcome.version !== null ? ` — saved as version ${outcome.version}` : ""}. Not every check passed:
        </p>
        <IssueList issues={outcome.issues} />
        <p className="mt-2 text-amber-200/80">
          Spent {outcome.spent} {outcome.spent === 1 ? "credit" : "credits"}, refunded {outcome.refunded}.
        </p>
      </div>
    );
  }
  const canceled = state.status === "canceled";
  return (
    <div
      role="status"
      className={`rounded-md border p-3 text-sm ${canceled ? "border-zinc-700 bg-zinc-900 text-zinc-200" : "border-red-800 bg-red-950/50 text-red-100"}`}
      data-testid="run-outcome"
    >
      <p className="font-semibold">{canceled ? "Canceled" : "Failed"}: {outcome.error}</p>
      <p className="mt-1 opacity-80">
        Spent {outcome.spent} {outcome.spent === 1 ? "credit" : "credits"}, refunded {outcome.refunded}. Files written before the stop
        were kept.
      </p>
    </div>
  );
}

function Meter({ state }: { state: RunState }) {
  const reserved = state.outcome ? state.outcome.spent + state.outcome.refunded : state.reserved;
  const percent = reserved > 0 ? Math.min(100, Math.round((state.spent / reserved) * 100)) : 0;
  return (
    <div>
      <div className="flex justify-between text-xs text-zinc-400">
        <span id="run-meter-label">Credits</span>
        <span data-testid="run-meter">
          <strong className="text-zinc-100">{state.spent}</strong> spent of {reserved} reserved
          {state.estimate !== null && state.estimate !== reserved ? ` (estimate ${state.estimate})` : ""}
        </span>
      </div>
      <div
        role="progressbar"
        aria-labelledby="run-meter-label"
        aria-valuemin={0}
        aria-valuemax={reserved}
        aria-valuenow={state.spent}
        className="mt-1 h-2 overflow-hidden rounded-full bg-zinc-800"
      >
        <div className="h-full rounded-full bg-brand-500 transition-[width]" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

const STEP_LABEL: Record<StepView["status"], string> = {
  running: "running",
  succeeded: "done",
  failed: "failed",
  skipped: "skipped",
  canceled: "canceled",
};

const STEP_COLOR: Record<StepView["status"], string> = {
  running: "text-sky-300",
  succeeded: "text-emerald-300",
  failed: "text-red-300",
  skipped: "text-zinc-400",
  canceled: "text-zinc-400",
};

function StepIcon({ status }: { status: StepView["status"] | "queued" }) {
  const symbol = { running: "◐", succeeded: "✓", failed: "✕", skipped: "–", canceled: "■", queued: "○" }[status];
  return (
    <span aria-hidden="true" className={`w-4 text-center ${status === "running" ? "animate-pulse text-sky-300" : status === "queued" ? "text-zinc-600" : STEP_COLOR[status]}`}>
      {symbol}
    </span>
  );
}

function RoleRowItem({ row, times, now }: { row: RoleRow; times: Record<string, StepTime>; now: number }) {
  if (row.kind === "queued") {
    return (
      <li className="flex items-center gap-2 px-3 py-2 text-sm text-zinc-500">
        <StepIcon status="queued" />
        <span className="capitalize">{row.role}</span>
        <span className="ml-auto text-xs">{row.runEnded ? "not run" : "queued"}</span>
      </li>
    );
  }
  const { step } = row;
  const time = times[step.stepId];
  const elapsed = time ? (time.finishedAt ?? (step.status === "running" ? now : time.startedAt)) - time.startedAt : null;
  return (
    <li className="px-3 py-2 text-sm" data-testid={`step-${step.role}`}>
      <div className="flex items-center gap-2">
        <StepIcon status={step.status} />
        <span className="font-medium capitalize text-zinc-100">{step.role}</span>
        <span className={`text-xs ${STEP_COLOR[step.status]}`}>{STEP_LABEL[step.status]}</span>
        {elapsed !== null && step.status !== "skipped" && <span className="ml-auto text-xs tabular-nums text-zinc-400">{formatElapsed(elapsed)}</span>}
      </div>
      {step.status !== "skipped" && (
        <p className="mt-0.5 pl-6 text-xs text-zinc-500">
          {step.model ? `${step.model} · ${step.provider}` : "no model"}
          {step.status === "running"
            ? step.outputChars > 0
              ? ` · writing (${step.outputChars.toLocaleString("en")} chars)`
              : " · waiting for the model"
            : ` · ${step.credits} ${step.credits === 1 ? "credit" : "credits"} · ${step.inputTokens.toLocaleString("en")} in / ${step.outputTokens.toLocaleString("en")} out tokens`}
        </p>
      )}
      {step.reason && <p className="mt-0.5 pl-6 text-xs text-zinc-400">{step.reason}</p>}
      {step.error && <p className="mt-0.5 pl-6 text-xs break-words text-red-300">{step.error}</p>}
    </li>
  );
}

const FILE_ACTIVITY: Record<string, string> = { writing: "writing…", written: "written", edited: "edited", deleted: "deleted" };

function FilesList({ state }: { state: RunState }) {
  if (state.files.length === 0) return null;
  return (
    <section aria-labelledby="run-files-title">
      <h4 id="run-files-title" className="text-xs font-semibold tracking-wide text-zinc-400 uppercase">
        Files ({state.files.filter((f) => f.activity !== "deleted").length})
      </h4>
      <ul className="mt-1 max-h-48 space-y-0.5 overflow-auto font-mono text-xs" aria-live="polite">
        {state.files.map((file) => (
          <li key={file.path} className="flex gap-2">
            <span className={`truncate ${file.activity === "deleted" ? "text-zinc-500 line-through" : "text-zinc-200"}`} title={file.path}>
              {file.path}
            </span>
            <span className={`ml-auto shrink-0 ${file.activity === "writing" ? "animate-pulse text-sky-300" : "text-zinc-500"}`}>
              {FILE_ACTIVITY[file.activity]}
              {file.size !== undefined ? ` · ${formatBytes(file.size)}` : ""}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`;
}

const LOG_STYLE: Record<LogEntry["level"], string> = {
  info: "text-zinc-300",
  warn: "text-amber-300",
  error: "text-red-300",
};

function Logs({ logs }: { logs: LogEntry[] }) {
  if (logs.length === 0) return null;
  return (
    <section aria-labelledby="run-log-title">
      <h4 id="run-log-title" className="text-xs font-semibold tracking-wide text-zinc-400 uppercase">
        Events
      </h4>
      <ul className="mt-1 max-h-56 space-y-1 overflow-auto text-xs">
        {logs.map((log) => (
          <li key={log.seq} className={LOG_STYLE[log.level]}>
            <span className="text-zinc-500">{log.role ? `${log.role}: ` : ""}</span>
            {log.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
