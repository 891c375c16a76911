import { v } from "convex/values";
import type {
  AiRequestKind,
  DeploymentProvider,
  DeploymentStatus,
  GenerationRole,
  GenerationStatus,
  LedgerReason,
  Plan,
  ProjectStatus,
  ReservationStatus,
  RunStatus,
  RunKind,
  SubscriptionStatus,
  WebhookSource,
} from "../../lib/store/types";

/** A union of string literals; the Record key type makes the list exhaustive against the Store types. */
function oneOf<T extends string>(members: Record<T, true>) {
  return v.union(...(Object.keys(members) as T[]).map((m) => v.literal(m)));
}

export const plan = oneOf<Plan>({ free: true, creator: true, pro: true });

export const ledgerReason = oneOf<LedgerReason>({
  trial: true,
  purchase: true,
  subscription: true,
  generation: true,
  refund: true,
  adjustment: true,
});

export const reservationStatus = oneOf<ReservationStatus>({ open: true, settled: true });

export const projectStatus = oneOf<ProjectStatus>({
  pending: true,
  generating: true,
  completed: true,
  completed_with_issues: true,
  failed: true,
  archived: true,
});

export const generationRole = oneOf<GenerationRole>({
  architect: true,
  backend: true,
  frontend: true,
  devops: true,
  security: true,
  tester: true,
  fixer: true,
  editor: true,
});

export const generationStatus = oneOf<GenerationStatus>({
  running: true,
  succeeded: true,
  failed: true,
  canceled: true,
  skipped: true,
});

export const finishedGenerationStatus = oneOf<Exclude<GenerationStatus, "running">>({
  succeeded: true,
  failed: true,
  canceled: true,
  skipped: true,
});

export const runStatus = oneOf<RunStatus>({ running: true, completed: true, completed_with_issues: true, failed: true, canceled: true });

export const runKind = oneOf<RunKind>({ generation: true, change: true });

export const finishedRunStatus = oneOf<Exclude<RunStatus, "running">>({
  completed: true,
  completed_with_issues: true,
  failed: true,
  canceled: true,
});

export const aiRequestKind = oneOf<AiRequestKind>({
  generate: true,
  explain: true,
  fix: true,
  refactor: true,
  complete: true,
  chat: true,
});

export const deploymentProvider = oneOf<DeploymentProvider>({ vercel: true, netlify: true, railway: true });

export const deploymentStatus = oneOf<DeploymentStatus>({
  pending: true,
  building: true,
  success: true,
  failed: true,
  canceled: true,
});

export const subscriptionStatus = oneOf<SubscriptionStatus>({
  active: true,
  trialing: true,
  past_due: true,
  canceled: true,
  incomplete: true,
  incomplete_expired: true,
  unpaid: true,
  paused: true,
});

export const webhookSource = oneOf<WebhookSource>({ stripe: true, clerk: true });

/** What one Stripe event observed about a subscription (SubscriptionObservation): what it did not carry is absent. */
export const subscriptionObservation = v.object({
  userId: v.string(),
  stripeSubscriptionId: v.string(),
  plan,
  status: subscriptionStatus,
  stripeCustomerId: v.optional(v.string()),
  currentPeriodEnd: v.optional(v.number()),
  eventAt: v.optional(v.number()),
});
