import {
  StoreError,
  type AiRequest,
  type Deployment,
  type DeploymentRecord,
  type DeploymentProvider,
  type DeploymentStatus,
  type GenerationRole,
  type GenerationStatus,
  type GenerationStep,
  type Store,
  type UsageStats,
} from "../types";
import { immediate, LIVE_OWNED_PROJECT, newId, notFound, now, type Db } from "./db";

type ActivityOps = Pick<
  Store,
  | "startGenerationStep"
  | "finishGenerationStep"
  | "listGenerationSteps"
  | "recordAiRequest"
  | "listAiRequests"
  | "usageStats"
  | "createDeployment"
  | "updateDeployment"
  | "listDeployments"
  | "listUserDeployments"
>;

interface StepRow {
  id: string;
  project_id: string;
  run_id: string;
  role: GenerationRole;
  status: GenerationStatus;
  output: string;
  model: string;
  provider: string;
  input_tokens: number;
  output_tokens: number;
  credits: number;
  started_at: number;
  finished_at: number | null;
  error: string | null;
}

interface AiRequestRow {
  id: string;
  user_id: string;
  project_id: string | null;
  kind: AiRequest["kind"];
  model: string;
  tokens: number;
  credits: number;
  created_at: number;
}

interface DeploymentRow {
  id: string;
  /** NULL once the project was deleted; project_name then holds its name. */
  project_id: string | null;
  project_name?: string | null;
  user_id: string;
  provider: DeploymentProvider;
  status: DeploymentStatus;
  url: string | null;
  provider_id: string | null;
  logs: string;
  created_at: number;
  updated_at: number;
}

const toStep = (r: StepRow): GenerationStep => ({
  id: r.id,
  projectId: r.project_id,
  runId: r.run_id,
  role: r.role,
  status: r.status,
  output: r.output,
  model: r.model,
  provider: r.provider,
  inputTokens: r.input_tokens,
  outputTokens: r.output_tokens,
  credits: r.credits,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  error: r.error,
});

const toAiRequest = (r: AiRequestRow): AiRequest => ({
  id: r.id,
  userId: r.user_id,
  projectId: r.project_id,
  kind: r.kind,
  model: r.model,
  tokens: r.tokens,
  credits: r.credits,
  createdAt: r.created_at,
});

const toDeployment = (r: DeploymentRow): Deployment => ({
  id: r.id,
  projectId: r.project_id,
  userId: r.user_id,
  provider: r.provider,
  status: r.status,
  url: r.url,
  providerId: r.provider_id,
  logs: r.logs,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function nonNegative(value: number | undefined, what: string): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0) throw new StoreError("invalid", `${what} must be a non-negative number.`);
  return v;
}

export function activityOps(db: Db): ActivityOps {
  function requireOwnedProject(userId: string, projectId: string): void {
    if (!db.prepare(LIVE_OWNED_PROJECT).get(projectId, userId)) {
      throw notFound("Project");
    }
  }

  const ownedStep = db.prepare(
    "SELECT s.* FROM generation_steps s JOIN projects p ON p.id = s.project_id WHERE s.id = ? AND p.user_id = ?",
  );
  const ownedDeployment = db.prepare("SELECT * FROM deployments WHERE id = ? AND user_id = ?");

  return {
    async startGenerationStep(userId, input) {
      return immediate(db, () => {
        requireOwnedProject(userId, input.projectId);
        const row: StepRow = {
          id: newId(),
          project_id: input.projectId,
          run_id: input.runId,
          role: input.role,
          status: "running",
          output: "",
          model: input.model ?? "",
          provider: input.provider ?? "",
          input_tokens: 0,
          output_tokens: 0,
          credits: 0,
          started_at: now(),
          finished_at: null,
          error: null,
        };
        db.prepare(
          `INSERT INTO generation_steps (id, project_id, run_id, role, status, output, model, provider,
             input_tokens, output_tokens, credits, started_at, finished_at, error)
           VALUES (@id, @project_id, @run_id, @role, @status, @output, @model, @provider,
             @input_tokens, @output_tokens, @credits, @started_at, @finished_at, @error)`,
        ).run(row);
        return toStep(row);
      });
    },

    async finishGenerationStep(userId, stepId, input) {
      return immediate(db, () => {
        const current = ownedStep.get(stepId, userId) as StepRow | undefined;
        if (!current) throw notFound("Generation step");
        const next: StepRow = {
          ...current,
          status: input.status,
          output: input.output ?? current.output,
          model: input.model ?? current.model,
          provider: input.provider ?? current.provider,
          input_tokens: nonNegative(input.inputTokens ?? current.input_tokens, "inputTokens"),
          output_tokens: nonNegative(input.outputTokens ?? current.output_tokens, "outputTokens"),
          credits: nonNegative(input.credits ?? current.credits, "credits"),
          finished_at: now(),
          error: input.error === undefined ? current.error : input.error,
        };
        db.prepare(
          `UPDATE generation_steps SET status = @status, output = @output, model = @model, provider = @provider,
             input_tokens = @input_tokens, output_tokens = @output_tokens, credits = @credits,
             finished_at = @finished_at, error = @error
           WHERE id = @id`,
        ).run(next);
        return toStep(next);
      });
    },

    async listGenerationSteps(userId, runId) {
      const rows = db
        .prepare(
          `SELECT s.* FROM generation_steps s JOIN projects p ON p.id = s.project_id
           WHERE s.run_id = ? AND p.user_id = ? ORDER BY s.started_at, s.rowid`,
        )
        .all(runId, userId) as StepRow[];
      return rows.map(toStep);
    },

    async recordAiRequest(input) {
      return immediate(db, () => {
        if (!db.prepare("SELECT 1 FROM users WHERE id = ?").get(input.userId)) throw notFound("User");
        const projectId = input.projectId ?? null;
        if (projectId !== null) requireOwnedProject(input.userId, projectId);
        const row: AiRequestRow = {
          id: newId(),
          user_id: input.userId,
          project_id: projectId,
          kind: input.kind,
          model: input.model,
          tokens: nonNegative(input.tokens, "tokens"),
          credits: nonNegative(input.credits, "credits"),
          created_at: now(),
        };
        db.prepare(
          `INSERT INTO ai_requests (id, user_id, project_id, kind, model, tokens, credits, created_at)
           VALUES (@id, @user_id, @project_id, @kind, @model, @tokens, @credits, @created_at)`,
        ).run(row);
        return toAiRequest(row);
      });
    },

    async listAiRequests(userId, limit = 50) {
      const rows = db
        .prepare("SELECT * FROM ai_requests WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
        .all(userId, limit) as AiRequestRow[];
      return rows.map(toAiRequest);
    },

    async usageStats(userId): Promise<UsageStats> {
      type Group = { key: string; requests: number; tokens: number; credits: number };
      const grouped = (column: "kind" | "model") =>
        db
          .prepare(
            `SELECT ${column} AS key, COUNT(*) AS requests, SUM(tokens) AS tokens, SUM(credits) AS credits
             FROM ai_requests WHERE user_id = ? GROUP BY ${column}`,
          )
          .all(userId) as Group[];
      const toRecord = (groups: Group[]) =>
        Object.fromEntries(groups.map((g) => [g.key, { requests: g.requests, tokens: g.tokens, credits: g.credits }]));
      const byKind = grouped("kind");
      return {
        totalRequests: byKind.reduce((n, g) => n + g.requests, 0),
        totalTokens: byKind.reduce((n, g) => n + g.tokens, 0),
        totalCredits: byKind.reduce((n, g) => n + g.credits, 0),
        byKind: toRecord(byKind),
        byModel: toRecord(grouped("model")),
      };
    },

    async createDeployment(userId, projectId, provider) {
      return immediate(db, () => {
        requireOwnedProject(userId, projectId);
        const at = now();
        const row: DeploymentRow = {
          id: newId(),
          project_id: projectId,
          user_id: userId,
          provider,
          status: "pending",
          url: null,
          provider_id: null,
          logs: "",
          created_at: at,
          updated_at: at,
        };
        db.prepare(
          `INSERT INTO deployments (id, project_id, user_id, provider, status, url, provider_id, logs, created_at, updated_at)
           VALUES (@id, @project_id, @user_id, @provider, @status, @url, @provider_id, @logs, @created_at, @updated_at)`,
        ).run(row);
        return toDeployment(row);
      });
    },

    async updateDeployment(userId, deploymentId, patch) {
      return immediate(db, () => {
        const current = ownedDeployment.get(deploymentId, userId) as DeploymentRow | undefined;
        if (!current) throw notFound("Deployment");
        const next: DeploymentRow = {
          ...current,
          status: patch.status ?? current.status,
          url: patch.url === undefined ? current.url : patch.url,
          provider_id: patch.providerId === undefined ? current.provider_id : patch.providerId,
          logs: patch.logs ?? current.logs,
          updated_at: now(),
        };
        db.prepare(
          `UPDATE deployments SET status = @status, url = @url, provider_id = @provider_id, logs = @logs,
             updated_at = @updated_at WHERE id = @id`,
        ).run(next);
        return toDeployment(next);
      });
    },

    async listUserDeployments(userId) {
      const rows = db
        .prepare(
          `SELECT d.*, COALESCE(p.name, d.project_name, '') AS record_name
           FROM deployments d JOIN users u ON u.id = d.user_id LEFT JOIN projects p ON p.id = d.project_id
           WHERE d.user_id = ? AND u.deleted_at IS NULL ORDER BY d.created_at DESC, d.rowid DESC`,
        )
        .all(userId) as (DeploymentRow & { record_name: string })[];
      return rows.map((r): DeploymentRecord => ({ ...toDeployment(r), projectName: r.record_name }));
    },

    async listDeployments(userId, projectId) {
      requireOwnedProject(userId, projectId);
      const rows = db
        .prepare("SELECT * FROM deployments WHERE project_id = ? ORDER BY created_at DESC, rowid DESC")
        .all(projectId) as DeploymentRow[];
      return rows.map(toDeployment);
    },
  };
}
