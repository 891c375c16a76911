import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  aiRequestKind,
  deploymentProvider,
  deploymentStatus,
  generationRole,
  generationStatus,
  ledgerReason,
  plan,
  projectStatus,
  reservationStatus,
  runKind,
  runStatus,
  subscriptionStatus,
  webhookSource,
} from "./lib/validators";

export default defineSchema({
  users: defineTable({
    externalId: v.string(),
    email: v.string(),
    name: v.string(),
    plan,
    tokenBalance: v.number(),
    createdAt: v.number(),
    // Set by a soft delete (Clerk user.deleted); absent for active users.
    deletedAt: v.optional(v.number()),
  })
    .index("by_externalId", ["externalId"])
    .index("by_email", ["email"]),

  credentials: defineTable({
    userId: v.id("users"),
    passwordHash: v.string(),
  }).index("by_userId", ["userId"]),

  sessions: defineTable({
    tokenHash: v.string(),
    userId: v.id("users"),
    expiresAt: v.number(),
  })
    .index("by_tokenHash", ["tokenHash"])
    .index("by_userId", ["userId"]),

  ledger: defineTable({
    userId: v.id("users"),
    delta: v.number(),
    reason: ledgerReason,
    idempotencyKey: v.string(),
    createdAt: v.number(),
  })
    .index("by_idempotencyKey", ["idempotencyKey"])
    .index("by_userId", ["userId"]),

  reservations: defineTable({
    userId: v.id("users"),
    amount: v.number(),
    spent: v.number(),
    status: reservationStatus,
    idempotencyKey: v.string(),
    createdAt: v.number(),
    settledAt: v.union(v.number(), v.null()),
  }).index("by_userId_idempotencyKey", ["userId", "idempotencyKey"]),

  projects: defineTable({
    userId: v.id("users"),
    name: v.string(),
    description: v.string(),
    prompt: v.string(),
    framework: v.string(),
    status: projectStatus,
    // The ModelOption id the user last picked for the project; absent: the default.
    model: v.optional(v.string()),
    createdAt: v.number(),
    updatedAt: v.number(),
    // Set when the project is deleted: from then on it does not exist for any operation and its
    // name is free; projects.purge removes its rows in batches, then this document.
    deletedAt: v.optional(v.number()),
  }).index("by_userId_name", ["userId", "name"]),

  // Content lives only in blobs, so saving, versioning and restoring read and write small rows,
  // not whole trees (a Convex transaction may read or write at most 16 MiB).
  files: defineTable({
    projectId: v.id("projects"),
    path: v.string(),
    sha256: v.string(),
    language: v.string(),
    size: v.number(),
    updatedAt: v.number(),
  }).index("by_projectId_path", ["projectId", "path"]),

  versions: defineTable({
    projectId: v.id("projects"),
    number: v.number(),
    message: v.string(),
    parent: v.union(v.number(), v.null()),
    createdAt: v.number(),
    // An array rather than an object: paths are not valid Convex field names in general.
    // `size` lets a restore rebuild file rows without reading their blobs.
    manifest: v.array(v.object({ path: v.string(), sha256: v.string(), size: v.number() })),
  }).index("by_projectId_number", ["projectId", "number"]),

  blobs: defineTable({
    sha256: v.string(),
    content: v.string(),
  }).index("by_sha256", ["sha256"]),

  generations: defineTable({
    projectId: v.id("projects"),
    runId: v.string(),
    role: generationRole,
    status: generationStatus,
    output: v.string(),
    model: v.string(),
    provider: v.string(),
    inputTokens: v.number(),
    outputTokens: v.number(),
    credits: v.number(),
    startedAt: v.number(),
    finishedAt: v.union(v.number(), v.null()),
    error: v.union(v.string(), v.null()),
  })
    .index("by_runId", ["runId"])
    .index("by_projectId", ["projectId"]),

  runs: defineTable({
    projectId: v.id("projects"),
    userId: v.id("users"),
    status: runStatus,
    // Optional: runs recorded before these fields read as a generation with an empty request.
    kind: v.optional(runKind),
    request: v.optional(v.string()),
    reservationId: v.id("reservations"),
    cap: v.number(),
    estimate: v.number(),
    error: v.union(v.string(), v.null()),
    createdAt: v.number(),
    finishedAt: v.union(v.number(), v.null()),
    // Seq of the last appended event, so appending reads one document, not the event log.
    lastSeq: v.number(),
  })
    .index("by_projectId", ["projectId"])
    .index("by_projectId_status", ["projectId", "status"]),

  // `data` is the RunEvent as JSON: its shape belongs to lib/ai/types.ts, not to the schema.
  runEvents: defineTable({
    runId: v.id("runs"),
    seq: v.number(),
    type: v.string(),
    data: v.string(),
    createdAt: v.number(),
  }).index("by_runId_seq", ["runId", "seq"]),

  aiRequests: defineTable({
    userId: v.id("users"),
    projectId: v.union(v.id("projects"), v.null()),
    kind: aiRequestKind,
    model: v.string(),
    tokens: v.number(),
    credits: v.number(),
    createdAt: v.number(),
  })
    .index("by_userId", ["userId"])
    .index("by_projectId", ["projectId"]),

  deployments: defineTable({
    // Absent once the project was deleted: the deployment stays in its owner's records, with
    // `projectName` holding the name the project had.
    projectId: v.optional(v.id("projects")),
    projectName: v.optional(v.string()),
    userId: v.id("users"),
    provider: deploymentProvider,
    status: deploymentStatus,
    url: v.union(v.string(), v.null()),
    providerId: v.union(v.string(), v.null()),
    logs: v.string(),
    createdAt: v.number(),
    updatedAt: v.number(),
  })
    .index("by_projectId", ["projectId"])
    .index("by_userId", ["userId"]),

  subscriptions: defineTable({
    userId: v.id("users"),
    stripeCustomerId: v.string(),
    stripeSubscriptionId: v.string(),
    plan,
    status: subscriptionStatus,
    currentPeriodEnd: v.number(),
    // When Stripe created the latest event that wrote this row (epoch ms); absent on older rows.
    lastEventAt: v.optional(v.number()),
  }).index("by_userId", ["userId"]),

  // Stripe subscriptions that ended (canceled, incomplete_expired), per user: no later event
  // revives one (lib/store/subscription.ts). A current row already in a final state counts as
  // ended too, so rows written before this table need no backfill.
  endedSubscriptions: defineTable({
    userId: v.id("users"),
    stripeSubscriptionId: v.string(),
    recordedAt: v.number(),
  }).index("by_userId_stripeSubscriptionId", ["userId", "stripeSubscriptionId"]),

  webhookEvents: defineTable({
    source: webhookSource,
    eventId: v.string(),
    processedAt: v.number(),
  }).index("by_source_eventId", ["source", "eventId"]),

  // One fixed window per key (lib/store/rate-limit-window.ts).
  rateLimits: defineTable({
    key: v.string(),
    windowStart: v.number(),
    count: v.number(),
    expiresAt: v.number(),
  })
    .index("by_key", ["key"])
    .index("by_expiresAt", ["expiresAt"]),

  apiKeys: defineTable({
    userId: v.id("users"),
    provider: v.string(),
    ciphertext: v.string(),
    last4: v.string(),
    createdAt: v.number(),
  }).index("by_userId_provider", ["userId", "provider"]),

  // Users' own OpenAI-compatible endpoints; the key encrypted (null: none). Deleted with the user.
  aiEndpoints: defineTable({
    userId: v.id("users"),
    name: v.string(),
    baseUrl: v.string(),
    ciphertext: v.union(v.string(), v.null()),
    last4: v.union(v.string(), v.null()),
    models: v.array(v.string()),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_userId", ["userId"]),
});
