import type { RunEvent } from "@/lib/ai/types";
import type { RunKind } from "@/lib/ai/types";
import { StoreError, type Run, type RunStatus, type Store, type StoredRunEvent } from "../types";
import { assertCredits, immediate, LIVE_OWNED_PROJECT, newId, notFound, now, type Db } from "./db";

type RunOps = Pick<Store, "createRun" | "getRun" | "latestRun" | "listRuns" | "finishRun" | "appendRunEvent" | "listRunEvents">;

interface RunRow {
  id: string;
  project_id: string;
  user_id: string;
  status: RunStatus;
  kind: RunKind;
  request: string;
  reservation_id: string;
  cap: number;
  estimate: number;
  error: string | null;
  created_at: number;
  finished_at: number | null;
}

const toRun = (r: RunRow): Run => ({
  id: r.id,
  projectId: r.project_id,
  userId: r.user_id,
  status: r.status,
  kind: r.kind,
  request: r.request,
  reservationId: r.reservation_id,
  cap: r.cap,
  estimate: r.estimate,
  error: r.error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export function runOps(db: Db): RunOps {
  const ownedRun = db.prepare("SELECT * FROM runs WHERE id = ? AND user_id = ?");

  function requireOwnedRun(userId: string, runId: string): RunRow {
    const row = ownedRun.get(runId, userId) as RunRow | undefined;
    if (!row) throw notFound("Run");
    return row;
  }

  return {
    async createRun(userId, input) {
      assertCredits(input.cap, "A run's cap", { allowZero: true });
      assertCredits(input.estimate, "A run's estimate", { allowZero: true });
      return immediate(db, () => {
        if (!db.prepare(LIVE_OWNED_PROJECT).get(input.projectId, userId)) {
          throw notFound("Project");
        }
        if (!db.prepare("SELECT 1 FROM reservations WHERE id = ? AND user_id = ?").get(input.reservationId, userId)) {
          throw notFound("Reservation");
        }
        const row: RunRow = {
          id: newId(),
          project_id: input.projectId,
          user_id: userId,
          status: "running",
          kind: input.kind ?? "generation",
          request: input.request ?? "",
          reservation_id: input.reservationId,
          cap: input.cap,
          estimate: input.estimate,
          error: null,
          created_at: now(),
          finished_at: null,
        };
        db.prepare(
          `INSERT INTO runs (id, project_id, user_id, status, kind, request, reservation_id, cap, estimate, error, created_at, finished_at)
           VALUES (@id, @project_id, @user_id, @status, @kind, @request, @reservation_id, @cap, @estimate, @error, @created_at, @finished_at)`,
        ).run(row);
        return toRun(row);
      });
    },

    async getRun(userId, runId) {
      const row = ownedRun.get(runId, userId) as RunRow | undefined;
      return row ? toRun(row) : null;
    },

    async latestRun(userId, projectId) {
      // runs_by_project(project_id, created_at) serves this; rowid breaks a tie within one millisecond.
      if (!db.prepare(LIVE_OWNED_PROJECT).get(projectId, userId)) return null;
      const row = db
        .prepare("SELECT * FROM runs WHERE project_id = ? AND user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
        .get(projectId, userId) as RunRow | undefined;
      return row ? toRun(row) : null;
    },

    async listRuns(userId, projectId, options = {}) {
      if (!db.prepare(LIVE_OWNED_PROJECT).get(projectId, userId)) return [];
      const limit = Math.min(100, Math.max(1, Math.floor(options.limit ?? 20)));
      const rows = db
        .prepare(
          `SELECT * FROM runs WHERE project_id = ? AND user_id = ? AND (? IS NULL OR kind = ?)
           ORDER BY created_at DESC, rowid DESC LIMIT ?`,
        )
        .all(projectId, userId, options.kind ?? null, options.kind ?? null, limit) as RunRow[];
      return rows.map(toRun);
    },

    async finishRun(userId, runId, input) {
      return immediate(db, () => {
        const current = requireOwnedRun(userId, runId);
        if (current.status !== "running") throw new StoreError("conflict", "This run has already finished.");
        const next: RunRow = { ...current, status: input.status, error: input.error ?? null, finished_at: now() };
        db.prepare("UPDATE runs SET status = @status, error = @error, finished_at = @finished_at WHERE id = @id").run(next);
        return toRun(next);
      });
    },

    async appendRunEvent(userId, runId, event) {
      return immediate(db, () => {
        requireOwnedRun(userId, runId);
        const { last } = db.prepare("SELECT COALESCE(MAX(seq), 0) AS last FROM run_events WHERE run_id = ?").get(runId) as {
          last: number;
        };
        const seq = last + 1;
        db.prepare("INSERT INTO run_events (run_id, seq, type, data, created_at) VALUES (?, ?, ?, ?, ?)").run(
          runId,
          seq,
          event.type,
          JSON.stringify(event),
          now(),
        );
        return seq;
      });
    },

    async listRunEvents(userId, runId, afterSeq = 0): Promise<StoredRunEvent[]> {
      requireOwnedRun(userId, runId);
      const rows = db
        .prepare("SELECT seq, data FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq")
        .all(runId, afterSeq) as { seq: number; data: string }[];
      return rows.map((r) => ({ seq: r.seq, event: JSON.parse(r.data) as RunEvent }));
    },
  };
}
