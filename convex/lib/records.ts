import type { Doc } from "../_generated/dataModel";
import type {
  AiRequest,
  ApiKeyRecord,
  Deployment,
  GenerationStep,
  LedgerEntry,
  Project,
  ProjectFile,
  Reservation,
  Run,
  Subscription,
  User,
} from "../../lib/store/types";

/**
 * Documents → the Store's records. Versions are the exception: their manifest
 * stays an array over the wire (see schema.ts) and the adapter turns it into a map.
 */

export function toUser(d: Doc<"users">): User {
  return {
    id: d._id,
    externalId: d.externalId,
    email: d.email,
    name: d.name,
    plan: d.plan,
    tokenBalance: d.tokenBalance,
    createdAt: d.createdAt,
    deletedAt: d.deletedAt ?? null,
  };
}

export function toLedgerEntry(d: Doc<"ledger">): LedgerEntry {
  return {
    id: d._id,
    userId: d.userId,
    delta: d.delta,
    reason: d.reason,
    idempotencyKey: d.idempotencyKey,
    createdAt: d.createdAt,
  };
}

export function toReservation(d: Doc<"reservations">): Reservation {
  return {
    id: d._id,
    userId: d.userId,
    amount: d.amount,
    spent: d.spent,
    status: d.status,
    idempotencyKey: d.idempotencyKey,
    createdAt: d.createdAt,
    settledAt: d.settledAt,
  };
}

export function toProject(d: Doc<"projects">): Project {
  return {
    id: d._id,
    userId: d.userId,
    name: d.name,
    description: d.description,
    prompt: d.prompt,
    framework: d.framework,
    status: d.status,
    model: d.model ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function toProjectFile(d: Doc<"files">, content: string): ProjectFile {
  return {
    projectId: d.projectId,
    path: d.path,
    content,
    language: d.language,
    size: d.size,
    updatedAt: d.updatedAt,
  };
}

export interface VersionRecord {
  id: string;
  projectId: string;
  number: number;
  message: string;
  parent: number | null;
  createdAt: number;
  manifest: { path: string; sha256: string }[];
}

export function toVersionRecord(d: Doc<"versions">): VersionRecord {
  return {
    id: d._id,
    projectId: d.projectId,
    number: d.number,
    message: d.message,
    parent: d.parent,
    createdAt: d.createdAt,
    manifest: d.manifest.map(({ path, sha256 }) => ({ path, sha256 })),
  };
}

export function toGenerationStep(d: Doc<"generations">): GenerationStep {
  return {
    id: d._id,
    projectId: d.projectId,
    runId: d.runId,
    role: d.role,
    status: d.status,
    output: d.output,
    model: d.model,
    provider: d.provider,
    inputTokens: d.inputTokens,
    outputTokens: d.outputTokens,
    credits: d.credits,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    error: d.error,
  };
}

export function toAiRequest(d: Doc<"aiRequests">): AiRequest {
  return {
    id: d._id,
    userId: d.userId,
    projectId: d.projectId,
    kind: d.kind,
    model: d.model,
    tokens: d.tokens,
    credits: d.credits,
    createdAt: d.createdAt,
  };
}

export function toDeployment(d: Doc<"deployments">): Deployment {
  return {
    id: d._id,
    projectId: d.projectId ?? null,
    userId: d.userId,
    provider: d.provider,
    status: d.status,
    url: d.url,
    providerId: d.providerId,
    logs: d.logs,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function toSubscription(d: Doc<"subscriptions">): Subscription {
  return {
    userId: d.userId,
    stripeCustomerId: d.stripeCustomerId,
    stripeSubscriptionId: d.stripeSubscriptionId,
    plan: d.plan,
    status: d.status,
    currentPeriodEnd: d.currentPeriodEnd,
  };
}

export function toApiKeyRecord(d: Doc<"apiKeys">): ApiKeyRecord {
  return {
    userId: d.userId,
    provider: d.provider,
    ciphertext: d.ciphertext,
    last4: d.last4,
    createdAt: d.createdAt,
  };
}

export function toRun(d: Doc<"runs">): Run {
  return {
    id: d._id,
    projectId: d.projectId,
    userId: d.userId,
    status: d.status,
    kind: d.kind ?? "generation",
    request: d.request ?? "",
    reservationId: d.reservationId,
    cap: d.cap,
    estimate: d.estimate,
    error: d.error,
    createdAt: d.createdAt,
    finishedAt: d.finishedAt,
  };
}
