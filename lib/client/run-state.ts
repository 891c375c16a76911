import type { RoleName, RunEvent, RunIssue, RunKind } from "@/lib/ai/types";

/**
 * The run view, built from the run's events alone (GET
 * /api/generations/:runId/events). Pure: the same events give the same state,
 * so a reload (which replays them from the start) or a second tab shows
 * exactly what the first tab shows. Events at or below `lastSeq` are ignored,
 * which makes a reconnect that replays a few events again harmless.
 */

export type StepStatus = "running" | "succeeded" | "failed" | "skipped" | "canceled";

export interface StepView {
  stepId: string;
  role: RoleName;
  status: StepStatus;
  model: string;
  provider: string;
  credits: number;
  inputTokens: number;
  outputTokens: number;
  /** Characters the model has written so far (step_progress). */
  outputChars: number;
  error?: string;
  reason?: string;
}

export type FileActivity = "writing" | "written" | "edited" | "deleted";

export interface FileView {
  path: string;
  role: RoleName;
  activity: FileActivity;
  size?: number;
}

export interface LogEntry {
  seq: number;
  level: "info" | "warn" | "error";
  role?: RoleName;
  message: string;
}

export type RunStatus = "pending" | "running" | "completed" | "completed_with_issues" | "failed" | "canceled";

export interface RunState {
  lastSeq: number;
  status: RunStatus;
  /** A generation (the whole pipeline) or a change request, with the user's request. */
  kind: RunKind;
  request: string | null;
  estimate: number | null;
  reserved: number;
  spent: number;
  /** In the order they started. */
  steps: StepView[];
  /** In the order they were first touched. */
  files: FileView[];
  logs: LogEntry[];
  /** Set once the run has ended; `issues` say why a run that went to its end is not `completed`. */
  outcome: { spent: number; refunded: number; version: number | null; error: string | null; issues: RunIssue[] } | null;
}

/** Logs kept in view; older ones drop off (the run's record keeps them all). */
export const MAX_LOGS = 300;

export const initialRunState: RunState = {
  lastSeq: 0,
  status: "pending",
  kind: "generation",
  request: null,
  estimate: null,
  reserved: 0,
  spent: 0,
  steps: [],
  files: [],
  logs: [],
  outcome: null,
};

export interface SeqEvent {
  seq: number;
  event: RunEvent;
}

function updateStep(steps: StepView[], stepId: string, patch: (step: StepView) => StepView): StepView[] {
  return steps.map((s) => (s.stepId === stepId ? patch(s) : s));
}

function touchFile(files: FileView[], path: string, role: RoleName, activity: FileActivity, size?: number): FileView[] {
  const next: FileView = { path, role, activity, ...(size !== undefined ? { size } : {}) };
  const index = files.findIndex((f) => f.path === path);
  if (index < 0) return [...files, next];
  const copy = files.slice();
  copy[index] = next;
  return copy;
}

function addLog(logs: LogEntry[], entry: LogEntry): LogEntry[] {
  const next = [...logs, entry];
  return next.length > MAX_LOGS ? next.slice(next.length - MAX_LOGS) : next;
}

export function reduceRun(state: RunState, { seq, event }: SeqEvent): RunState {
  if (seq <= state.lastSeq) return state;
  const s: RunState = { ...state, lastSeq: seq };
  switch (event.type) {
    case "run_started":
      return {
        ...s,
        status: s.outcome ? s.status : "running",
        kind: event.kind ?? "generation",
        request: event.request ?? null,
        estimate: event.estimate,
        reserved: event.reserved,
      };
    case "step_started":
      if (s.steps.some((step) => step.stepId === event.stepId)) return s;
      return {
        ...s,
        steps: [
          ...s.steps,
          {
            stepId: event.stepId,
            role: event.role,
            status: "running",
            model: event.model,
            provider: event.provider,
            credits: 0,
            inputTokens: 0,
            outputTokens: 0,
            outputChars: 0,
          },
        ],
      };
    case "step_progress":
      return { ...s, steps: updateStep(s.steps, event.stepId, (step) => ({ ...step, outputChars: event.outputChars })) };
    case "step_finished": {
      const finished = (step: StepView): StepView => ({
        ...step,
        status: event.status,
        credits: event.credits,
        inputTokens: event.inputTokens,
        outputTokens: event.outputTokens,
        ...(event.error ? { error: event.error } : {}),
        ...(event.reason ? { reason: event.reason } : {}),
      });
      const known = s.steps.some((step) => step.stepId === event.stepId);
      const steps = known
        ? updateStep(s.steps, event.stepId, finished)
        : [...s.steps, finished({ stepId: event.stepId, role: event.role, status: "running", model: "", provider: "", credits: 0, inputTokens: 0, outputTokens: 0, outputChars: 0 })];
      const logs =
        event.status === "failed"
          ? addLog(s.logs, { seq, level: "error", role: event.role, message: `${event.role} failed${event.error ? `: ${event.error}` : "."}` })
          : s.logs;
      return { ...s, steps, logs };
    }
    case "file_started":
      return { ...s, files: touchFile(s.files, event.path, event.role, "writing") };
    case "file_written":
      return { ...s, files: touchFile(s.files, event.path, event.role, "written", event.size) };
    case "file_edited":
      return { ...s, files: touchFile(s.files, event.path, event.role, "edited") };
    case "file_deleted":
      return { ...s, files: touchFile(s.files, event.path, event.role, "deleted") };
    case "meter":
      return { ...s, spent: event.spent, reserved: event.reserved };
    case "log":
      return { ...s, logs: addLog(s.logs, { seq, level: event.level, ...(event.role ? { role: event.role } : {}), message: event.message }) };
    case "done":
      return {
        ...s,
        status: event.status,
        spent: event.spent,
        steps: endRunning(s.steps, "canceled"),
        files: endWriting(s.files),
        outcome: { spent: event.spent, refunded: event.refunded, version: event.version, error: null, issues: event.issues ?? [] },
      };
    case "failed":
      return {
        ...s,
        status: event.status,
        spent: event.spent,
        steps: endRunning(s.steps, event.status === "canceled" ? "canceled" : "failed"),
        files: endWriting(s.files),
        outcome: { spent: event.spent, refunded: event.refunded, version: null, error: event.error, issues: [] },
      };
  }
}

/** A step still "running" when the run ended never finished: it stopped with the run. */
function endRunning(steps: StepView[], status: StepStatus): StepView[] {
  return steps.some((s) => s.status === "running") ? steps.map((s) => (s.status === "running" ? { ...s, status } : s)) : steps;
}

/** A file still being written when the run ended was cut off and not kept. */
function endWriting(files: FileView[]): FileView[] {
  return files.filter((f) => f.activity !== "writing");
}

export function replayRun(events: readonly SeqEvent[], from: RunState = initialRunState): RunState {
  return events.reduce(reduceRun, from);
}

export const isRunFinished = (state: RunState) => state.outcome !== null;

/** Each kind of run's roles in order, for showing those not started yet as queued. */
export const PIPELINES: Readonly<Record<RunKind, readonly RoleName[]>> = {
  generation: ["architect", "backend", "frontend", "devops", "security", "tester"],
  change: ["editor"],
};

export type RoleRow = { kind: "step"; step: StepView } | { kind: "queued"; role: RoleName; runEnded: boolean };

/** Started steps in order, then the pipeline's roles that have not started yet. */
export function roleRows(state: RunState): RoleRow[] {
  const rows: RoleRow[] = state.steps.map((step) => ({ kind: "step", step }));
  const started = new Set(state.steps.map((s) => s.role));
  for (const role of PIPELINES[state.kind]) {
    if (!started.has(role)) rows.push({ kind: "queued", role, runEnded: isRunFinished(state) });
  }
  return rows;
}
