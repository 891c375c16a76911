/**
 * The Store port: domain operations over the model in docs/architecture.md#where-state-lives and docs/data-model.md.
 * Two adapters implement it (SQLite: ./sqlite, Convex: ./convex) and both
 * pass tests/contract. Every operation documented as atomic is one SQLite
 * transaction or one Convex mutation.
 *
 * Ids are opaque strings. Times are epoch milliseconds.
 * Operations on a project always take the acting userId: a project owned by
 * someone else behaves exactly like one that does not exist (StoreError
 * "not_found"), so route handlers can answer 404 without a separate check.
 */

import type { RunEvent, RunKind } from "../ai/types";

export type { RunKind };

export type Id = string;

export type StoreErrorCode = "not_found" | "conflict" | "invalid";

export class StoreError extends Error {
  constructor(
    public readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return (
    e instanceof Error &&
    e.name === "StoreError" &&
    (code === undefined || (e as StoreError).code === code)
  );
}

// ---------------------------------------------------------------- users

/** The product's plans: the free trial and the paid plans sold in lib/billing/catalog.ts. */
export type Plan = "free" | "creator" | "pro";

export interface User {
  id: Id;
  /** Clerk user id, or `local:<uuid>` for local accounts. */
  externalId: string;
  email: string;
  name: string;
  plan: Plan;
  /** Cached sum of the user's ledger; never negative. */
  tokenBalance: number;
  createdAt: number;
  /**
   * Set when the account was deleted (Clerk `user.deleted`): the user can no
   * longer sign in and their projects behave as if they did not exist.
   * Both adapters always set it (null for active users); optional only so
   * that literals built elsewhere need not spell it out.
   */
  deletedAt?: number | null;
}

export interface EnsureUserInput {
  externalId: string;
  email: string;
  name?: string;
}

// ---------------------------------------------------------------- credits

export const TRIAL_CREDITS = 100;

export type LedgerReason =
  | "trial"
  | "purchase"
  | "subscription"
  | "generation"
  | "refund"
  | "adjustment";

export interface LedgerEntry {
  id: Id;
  userId: Id;
  delta: number;
  reason: LedgerReason;
  idempotencyKey: string;
  createdAt: number;
}

export interface GrantResult {
  /** false when the idempotency key had already been used (nothing written). */
  applied: boolean;
  balance: number;
}

export type ReservationStatus = "open" | "settled";

/**
 * Credits held for one run. Reserving writes a negative "generation" ledger
 * entry for the whole amount; charges are recorded against the reservation;
 * settling refunds (amount - spent) as a "refund" entry and closes it.
 */
export interface Reservation {
  id: Id;
  userId: Id;
  amount: number;
  spent: number;
  status: ReservationStatus;
  idempotencyKey: string;
  createdAt: number;
  settledAt: number | null;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation; balance: number }
  | { ok: false; reason: "insufficient"; required: number; available: number };

export interface ChargeResult {
  /** What was actually charged: min(requested, remaining). */
  charged: number;
  spent: number;
  remaining: number;
  /** true when the request was larger than what remained (the run must stop). */
  exhausted: boolean;
}

export interface SettleResult {
  refunded: number;
  balance: number;
  reservation: Reservation;
}

// ---------------------------------------------------------------- projects & files

/** `completed_with_issues`: the last run ended with files, but a planned file is missing or a check failed or never ran. */
export type ProjectStatus = "pending" | "generating" | "completed" | "completed_with_issues" | "failed" | "archived";

export interface Project {
  id: Id;
  userId: Id;
  name: string;
  description: string;
  prompt: string;
  framework: string;
  status: ProjectStatus;
  /** The model the user last picked for the project (an opaque ModelOption id, lib/ai/model-options.ts); null: the default. */
  model: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface CreateProjectInput {
  name: string;
  description?: string;
  prompt?: string;
  framework?: string;
  model?: string | null;
}

/** `model: null` forgets the project's model; an absent field is left as it is. */
export type ProjectPatch = Partial<Pick<Project, "name" | "description" | "prompt" | "framework" | "status" | "model">>;

export interface ProjectFile {
  projectId: Id;
  path: string;
  content: string;
  language: string;
  size: number;
  updatedAt: number;
}

export interface FileInput {
  path: string;
  content: string;
}

export interface SaveFilesInput {
  /** Created or replaced. */
  files: FileInput[];
  /** Removed (missing paths are ignored). */
  deletes?: string[];
  message: string;
}

export interface Version {
  id: Id;
  projectId: Id;
  /** 1, 2, 3… per project. */
  number: number;
  message: string;
  /** The previous version's number, null for the first. */
  parent: number | null;
  createdAt: number;
  /** Every file of the project at this version: path → sha256 of content. */
  manifest: Record<string, string>;
}

// ---------------------------------------------------------------- generation & usage

export type GenerationRole =
  | "architect"
  | "backend"
  | "frontend"
  | "devops"
  | "security"
  | "tester"
  | "fixer"
  | "editor";

export type GenerationStatus = "running" | "succeeded" | "failed" | "canceled" | "skipped";

export interface GenerationStep {
  id: Id;
  projectId: Id;
  runId: string;
  role: GenerationRole;
  status: GenerationStatus;
  output: string;
  model: string;
  provider: string;
  inputTokens: number;
  outputTokens: number;
  credits: number;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

export interface StartStepInput {
  projectId: Id;
  runId: string;
  role: GenerationRole;
  model?: string;
  provider?: string;
}

export type FinishStepInput = Partial<
  Pick<GenerationStep, "output" | "model" | "provider" | "inputTokens" | "outputTokens" | "credits" | "error">
> & { status: Exclude<GenerationStatus, "running"> };

export type AiRequestKind = "generate" | "explain" | "fix" | "refactor" | "complete" | "chat";

export interface AiRequest {
  id: Id;
  userId: Id;
  projectId: Id | null;
  kind: AiRequestKind;
  model: string;
  tokens: number;
  credits: number;
  createdAt: number;
}

export type AiRequestInput = Omit<AiRequest, "id" | "createdAt" | "projectId"> & { projectId?: Id | null };

export interface UsageStats {
  totalRequests: number;
  totalTokens: number;
  totalCredits: number;
  byKind: Record<string, { requests: number; tokens: number; credits: number }>;
  byModel: Record<string, { requests: number; tokens: number; credits: number }>;
}

// ---------------------------------------------------------------- runs

/**
 * `completed`: every planned file exists and the checks ran (≥ 1 test executed) and passed.
 * `completed_with_issues`: the run went to its end, but not all of that holds (the run's `error` and
 * its last event say what).
 */
export type RunStatus = "running" | "completed" | "completed_with_issues" | "failed" | "canceled";

/** One generation run: the role DAG over a project, paid from one reservation. */
export interface Run {
  id: Id;
  projectId: Id;
  userId: Id;
  status: RunStatus;
  /** A generation (the whole pipeline) or a change request (one editor and the checks). */
  kind: RunKind;
  /** What the user asked: the generation's prompt or the change request's text. */
  request: string;
  reservationId: Id;
  /** The most the run may spend (= the reservation's amount). */
  cap: number;
  estimate: number;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface CreateRunInput {
  projectId: Id;
  /** An open reservation of the same user. */
  reservationId: Id;
  cap: number;
  estimate: number;
  /** Default "generation". */
  kind?: RunKind;
  /** Default "". */
  request?: string;
}

export interface ListRunsOptions {
  kind?: RunKind;
  /** Newest first; default 20, at most 100. */
  limit?: number;
}

export interface FinishRunInput {
  status: Exclude<RunStatus, "running">;
  error?: string | null;
}

/** A persisted run event; `seq` counts 1, 2, 3… per run and is the SSE id. */
export interface StoredRunEvent {
  seq: number;
  event: RunEvent;
}

// ---------------------------------------------------------------- deployments, billing, keys

export type DeploymentProvider = "vercel" | "netlify" | "railway";
export type DeploymentStatus = "pending" | "building" | "success" | "failed" | "canceled";

export interface Deployment {
  id: Id;
  /** null once the project was deleted: its deployments stay in its owner's records (DeploymentRecord). */
  projectId: Id | null;
  userId: Id;
  provider: DeploymentProvider;
  status: DeploymentStatus;
  url: string | null;
  providerId: string | null;
  logs: string;
  createdAt: number;
  updatedAt: number;
}

export type DeploymentPatch = Partial<Pick<Deployment, "status" | "url" | "providerId" | "logs">>;

/** A deployment in its owner's records: any of their projects, deleted ones included. */
export interface DeploymentRecord extends Deployment {
  /** The project's name; for a deleted project (projectId null), the name it had when it was deleted. */
  projectName: string;
}

export type SubscriptionStatus =
  | "active"
  | "trialing"
  | "past_due"
  | "canceled"
  | "incomplete"
  | "incomplete_expired"
  | "unpaid"
  | "paused";

export interface Subscription {
  userId: Id;
  stripeCustomerId: string;
  stripeSubscriptionId: string;
  plan: Plan;
  status: SubscriptionStatus;
  currentPeriodEnd: number;
}

/**
 * What one Stripe event says about one of the user's subscriptions. Fields
 * the event does not carry are left out; the store's subscription rule
 * (lib/store/subscription.ts) decides what the observation changes.
 */
export interface SubscriptionObservation {
  userId: Id;
  stripeSubscriptionId: string;
  plan: Plan;
  status: SubscriptionStatus;
  stripeCustomerId?: string;
  currentPeriodEnd?: number;
  /** When Stripe created the event (epoch ms): older news of another subscription does not replace the current one. */
  eventAt?: number;
}

/** What a subscription observation changed, as decided inside the transaction that recorded its event. */
export type SubscriptionChange =
  /** The user's current subscription is now this row (created, updated or replaced); the user's plan is `plan`. */
  | { kind: "current"; subscription: Subscription; plan: Plan }
  /** A subscription that is not the current one ended: remembered as ended, nothing else changed. */
  | { kind: "ended" }
  /** Nothing changed: the subscription had already ended, or it is not the current one and does not replace it. */
  | { kind: "unchanged"; reason: "subscription_ended" | "not_current" };

export type WebhookSource = "stripe" | "clerk";

/** Email and/or name to change on the user with this externalId. */
export interface UserProfileUpdate {
  email?: string;
  name?: string;
}

/** Effects applied in the same transaction that records a webhook event. */
export interface WebhookEffects {
  /** Idempotent by its key: a key already used grants nothing (`granted: 0` in the result). */
  grant?: { userId: Id; amount: number; reason: LedgerReason; idempotencyKey: string };
  /** Applied through the one subscription rule (mergeSubscription in lib/store/subscription.ts). */
  subscription?: SubscriptionObservation;
  /**
   * Creates the user (with the trial grant) unless the externalId is already
   * known or the email belongs to another user — in both cases nothing is
   * written (never a second trial), and the event is still recorded.
   */
  createUser?: EnsureUserInput;
  /** updateUserProfile semantics, except that an email taken by another user is left unchanged (the name still applies); an unknown externalId changes nothing. */
  profile?: { externalId: string } & UserProfileUpdate;
  /** softDeleteUser semantics; an unknown externalId changes nothing. */
  softDelete?: { externalId: string };
}

/** What recordWebhookEvent really did. */
export type WebhookRecordResult =
  /** The event id was already recorded: nothing was applied. */
  | { kind: "duplicate" }
  | {
      kind: "first";
      /** Credits the grant effect added: 0 without a grant or when its idempotency key was already used. */
      granted: number;
      /** What the subscription effect changed; null without one. */
      subscription: SubscriptionChange | null;
    };

// ---------------------------------------------------------------- rate limits

export interface RateLimitWindow {
  /** Hits allowed per window. */
  max: number;
  windowMs: number;
}

export interface RateLimitHit {
  ok: boolean;
  /** Hits still allowed in the current window after this one. */
  remaining: number;
  /** 0 when ok; otherwise how long until the window ends and a hit is allowed again. */
  retryAfterMs: number;
}

export interface ApiKeyRecord {
  userId: Id;
  provider: string;
  ciphertext: string;
  last4: string;
  createdAt: number;
}

/**
 * A user's own OpenAI-compatible endpoint (lib/ai/endpoints.ts). The store keeps its key only as
 * ciphertext (null: the endpoint has no key); it checks nothing about the values.
 */
export interface AiEndpointRecord {
  id: Id;
  userId: Id;
  name: string;
  baseUrl: string;
  ciphertext: string | null;
  last4: string | null;
  /** Model ids, in the order given. */
  models: string[];
  createdAt: number;
  updatedAt: number;
}

export type CreateAiEndpointInput = Pick<AiEndpointRecord, "name" | "baseUrl" | "ciphertext" | "last4" | "models">;

export type AiEndpointPatch = Partial<Pick<AiEndpointRecord, "name" | "models">>;

// ---------------------------------------------------------------- local auth

export interface SessionRecord {
  userId: Id;
  expiresAt: number;
}

export interface LocalCredentials {
  userId: Id;
  passwordHash: string;
}

// ---------------------------------------------------------------- the port

export interface Store {
  readonly kind: "sqlite" | "convex";

  // users
  /** Atomic. Finds by externalId or creates; a new user gets the trial grant (key `trial:<userId>`) in the same transaction. Email is unique: a different externalId with a taken email is a "conflict". */
  ensureUser(input: EnsureUserInput): Promise<{ user: User; created: boolean }>;
  getUser(userId: Id): Promise<User | null>;
  getUserByExternalId(externalId: string): Promise<User | null>;
  getUserByEmail(email: string): Promise<User | null>;
  setUserPlan(userId: Id, plan: Plan): Promise<void>;
  /** Atomic. Changes email and/or name of the user with this externalId; null when unknown or deleted. An email another user holds is a "conflict". */
  updateUserProfile(externalId: string, update: UserProfileUpdate): Promise<User | null>;
  /**
   * Atomic. Marks the user deleted (deletedAt), ends their sessions, deletes
   * their AI endpoints (with their keys) and frees their email (it becomes a
   * tombstone, so the address can sign up again). Their other rows stay; their
   * projects become invisible to every project operation. Returns false when
   * the externalId is unknown or already deleted.
   */
  softDeleteUser(externalId: string): Promise<boolean>;

  // credits (all atomic; the balance never goes below 0)
  getBalance(userId: Id): Promise<number>;
  /** Positive amount; idempotent by key. */
  grantCredits(userId: Id, amount: number, reason: LedgerReason, idempotencyKey: string): Promise<GrantResult>;
  /** Holds `amount` credits; refused with nothing written when the balance is short. Idempotent by key (returns the existing reservation). */
  reserveCredits(userId: Id, amount: number, idempotencyKey: string): Promise<ReserveResult>;
  /** Records real usage against an open reservation, capped at what remains. */
  chargeReservation(reservationId: Id, credits: number): Promise<ChargeResult>;
  /** Closes the reservation and refunds what was not spent. Settling twice is a no-op returning the same result. */
  settleReservation(reservationId: Id): Promise<SettleResult>;
  getReservation(reservationId: Id): Promise<Reservation | null>;
  listLedger(userId: Id, limit?: number): Promise<LedgerEntry[]>;

  // webhooks
  /**
   * Atomic: records (source, eventId) and applies the effects once; a second
   * delivery is "duplicate" and changes nothing. The subscription effect is
   * decided inside the same transaction (ended subscriptions are remembered
   * per user, so none is revived). Returns what was really applied.
   */
  recordWebhookEvent(source: WebhookSource, eventId: string, effects?: WebhookEffects): Promise<WebhookRecordResult>;

  // rate limits (shared by every app instance using this store)
  /**
   * Atomic. Counts one hit on `key` in a fixed window that starts at the
   * key's first hit and lasts `windowMs`; a refused hit is not counted.
   * Expired windows of other keys are deleted opportunistically.
   */
  hitRateLimit(key: string, window: RateLimitWindow, now?: number): Promise<RateLimitHit>;
  /**
   * Atomic. Takes back one hit counted on `key` in its current window (an attempt counted up
   * front that, once decided, should not count); nothing when the key has no open window or no
   * hits in it. A window that ended meanwhile is not touched.
   */
  releaseRateLimit(key: string, now?: number): Promise<void>;

  // projects (name unique per user → "conflict"; a deleted user's projects do not exist)
  createProject(userId: Id, input: CreateProjectInput): Promise<Project>;
  listProjects(userId: Id): Promise<Project[]>;
  getProject(userId: Id, projectId: Id): Promise<Project | null>;
  updateProject(userId: Id, projectId: Id, patch: ProjectPatch): Promise<Project>;
  /**
   * Deletes the project for good and returns it as it was: its files, versions, runs with their
   * events, and generation steps are removed (SQLite also removes the version blobs no other
   * version refers to). Kept, for the owner's records: its deployments, detached (projectId null)
   * with the project's name copied (listUserDeployments), and its AI usage rows, with projectId
   * null. A project with a run still `running` is a "conflict" and nothing changes (cancel the
   * run first); someone else's or an unknown project is "not_found". The name is free again at once.
   * SQLite: one transaction. Convex: one mutation makes the project disappear and detaches its
   * deployments; its rows are then removed in bounded batches before this returns.
   */
  deleteProject(userId: Id, projectId: Id): Promise<Project>;

  // files & versions
  listFiles(userId: Id, projectId: Id): Promise<ProjectFile[]>;
  getFile(userId: Id, projectId: Id, path: string): Promise<ProjectFile | null>;
  /** Atomic: applies writes and deletes and records a new version of the whole tree. Paths are normalized by lib/files/paths; an invalid path, size or count is "invalid" and nothing is written. */
  saveFiles(userId: Id, projectId: Id, input: SaveFilesInput): Promise<Version>;
  listVersions(userId: Id, projectId: Id): Promise<Version[]>;
  getVersion(userId: Id, projectId: Id, number: number): Promise<Version | null>;
  /** The full content of every file at a version. */
  getVersionFiles(userId: Id, projectId: Id, number: number): Promise<FileInput[]>;
  /** Atomic: makes the tree equal to version `number` and records that as a new version. */
  restoreVersion(userId: Id, projectId: Id, number: number): Promise<Version>;

  // generation steps & AI usage
  startGenerationStep(userId: Id, input: StartStepInput): Promise<GenerationStep>;
  finishGenerationStep(userId: Id, stepId: Id, input: FinishStepInput): Promise<GenerationStep>;
  listGenerationSteps(userId: Id, runId: string): Promise<GenerationStep[]>;
  recordAiRequest(input: AiRequestInput): Promise<AiRequest>;
  listAiRequests(userId: Id, limit?: number): Promise<AiRequest[]>;
  usageStats(userId: Id): Promise<UsageStats>;

  // runs and their events
  /** The run starts "running". Unknown or foreign project or reservation → "not_found". */
  createRun(userId: Id, input: CreateRunInput): Promise<Run>;
  /** null when the run does not exist or belongs to someone else. */
  getRun(userId: Id, runId: Id): Promise<Run | null>;
  /** The project's most recently created run (running or finished); null when it has none or the project is not the user's. */
  latestRun(userId: Id, projectId: Id): Promise<Run | null>;
  /** The project's runs, newest first ([] when the project is not the user's). */
  listRuns(userId: Id, projectId: Id, options?: ListRunsOptions): Promise<Run[]>;
  /** Sets the final status once; finishing a finished run is a "conflict". */
  finishRun(userId: Id, runId: Id, input: FinishRunInput): Promise<Run>;
  /** Atomic: appends the event with the run's next seq (1, 2, 3…) and returns that seq. Foreign run → "not_found". */
  appendRunEvent(userId: Id, runId: Id, event: RunEvent): Promise<number>;
  /** The run's events with seq > afterSeq (default 0), in order. Foreign or unknown run → "not_found". */
  listRunEvents(userId: Id, runId: Id, afterSeq?: number): Promise<StoredRunEvent[]>;

  // deployments
  createDeployment(userId: Id, projectId: Id, provider: DeploymentProvider): Promise<Deployment>;
  /** The user's deployment, also one whose project was deleted (a build in flight is still followed to its end). */
  updateDeployment(userId: Id, deploymentId: Id, patch: DeploymentPatch): Promise<Deployment>;
  listDeployments(userId: Id, projectId: Id): Promise<Deployment[]>;
  /** Every deployment of the user, newest first, deleted projects' included ([] for a deleted user). */
  listUserDeployments(userId: Id): Promise<DeploymentRecord[]>;

  // subscriptions
  /** The user's current subscription (the one that sets their plan), whatever its status; null before any. */
  getSubscription(userId: Id): Promise<Subscription | null>;

  // users' own provider keys (ciphertext only; encryption lives in lib/crypto)
  saveApiKey(userId: Id, provider: string, ciphertext: string, last4: string): Promise<ApiKeyRecord>;
  listApiKeys(userId: Id): Promise<ApiKeyRecord[]>;
  deleteApiKey(userId: Id, provider: string): Promise<boolean>;

  // users' own AI endpoints (ciphertext only). A deleted user has none: softDeleteUser deletes them.
  /** Oldest first; [] for an unknown user. */
  listAiEndpoints(userId: Id): Promise<AiEndpointRecord[]>;
  /** null when the endpoint does not exist or is someone else's. */
  getAiEndpoint(userId: Id, endpointId: Id): Promise<AiEndpointRecord | null>;
  /** An unknown or deleted user is "not_found". */
  createAiEndpoint(userId: Id, input: CreateAiEndpointInput): Promise<AiEndpointRecord>;
  /** Changes the name and/or the models and sets updatedAt; someone else's or an unknown endpoint is "not_found". */
  updateAiEndpoint(userId: Id, endpointId: Id, patch: AiEndpointPatch): Promise<AiEndpointRecord>;
  /** Deletes the endpoint with its key; false when it does not exist or is someone else's. */
  deleteAiEndpoint(userId: Id, endpointId: Id): Promise<boolean>;

  // local accounts and sessions (used by lib/auth/local only)
  /** Atomic: creates the user (externalId `local:<uuid>`), the credentials and the trial grant. Taken email → "conflict". */
  createLocalAccount(input: { email: string; name: string; passwordHash: string }): Promise<User>;
  getLocalCredentials(email: string): Promise<LocalCredentials | null>;
  createSession(tokenHash: string, userId: Id, expiresAt: number): Promise<void>;
  /** Returns null for an unknown or expired session (and deletes an expired one). */
  getSession(tokenHash: string): Promise<SessionRecord | null>;
  deleteSession(tokenHash: string): Promise<void>;

  close(): Promise<void>;
}
