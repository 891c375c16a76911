import type { RunIssue } from "@/lib/ai/types";
import type { RunStatus } from "@/lib/store/types";

/** What one change request did, as the chat lists it (GET /api/projects/:id/changes). */
export interface ChangeSummary {
  runId: string;
  request: string;
  status: RunStatus;
  createdAt: number;
  finishedAt: number | null;
  /** Credits charged (null while running). */
  spent: number | null;
  /** The version the change saved; null when it saved none (failed early, changed nothing, still running). */
  version: number | null;
  /** The files it wrote, edited or deleted, in order. */
  files: { path: string; action: "written" | "edited" | "deleted" }[];
  /** Why it is not `completed` (each with the failing output's end). */
  issues: RunIssue[];
  /** Why it failed or was canceled. */
  error: string | null;
}

export interface ChangeList {
  /** Oldest first: the newest changes of the project, as many as the list keeps. */
  changes: ChangeSummary[];
  /** Older change requests exist that the list leaves out (they stay in Versions). */
  more: boolean;
}
