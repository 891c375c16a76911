import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";
import { api } from "@/convex/_generated/api";
import type { RunEvent } from "@/lib/ai/types";
import { StoreError, type DeploymentRecord, type Store, type UsageStats, type Version } from "../types";
import { fromConvexError } from "./errors";
import { canonicalEmail, defaultNameFor, lookupEmail } from "../rules";

/**
 * The Convex adapter of the Store port. Every operation is one Convex query or
 * mutation (convex/*.ts), so each atomic operation is one serializable
 * transaction on the deployment. Works over ConvexHttpClient in production
 * and over convex-test's `t` in tests.
 */

/** What the adapter needs from a Convex client: ConvexHttpClient and convex-test both fit. */
export interface ConvexFunctionClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(ref: FunctionReference<"query">, args: Record<string, unknown>): Promise<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mutation(ref: FunctionReference<"mutation">, args: Record<string, unknown>): Promise<any>;
}

type ArgsWithoutSecret<F extends FunctionReference<"query" | "mutation">> = Omit<FunctionArgs<F>, "serverSecret">;

interface VersionRecord extends Omit<Version, "manifest"> {
  manifest: { path: string; sha256: string }[];
}

interface Totals {
  key: string;
  requests: number;
  tokens: number;
  credits: number;
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_PURGE_BATCHES = 10_000;


function toVersion(r: VersionRecord): Version {
  return { ...r, manifest: Object.fromEntries(r.manifest.map((m) => [m.path, m.sha256])) };
}

function groupTotals(groups: Totals[]): UsageStats["byKind"] {
  return Object.fromEntries(groups.map(({ key, ...t }) => [key, t]));
}

export async function createConvexStoreFromClient(client: ConvexFunctionClient, serverSecret: string): Promise<Store> {
  async function query<F extends FunctionReference<"query">>(
    ref: F,
    args: ArgsWithoutSecret<F>,
  ): Promise<FunctionReturnType<F>> {
    try {
      return await client.query(ref, { ...args, serverSecret });
    } catch (e) {
      throw fromConvexError(e);
    }
  }

  async function mutation<F extends FunctionReference<"mutation">>(
    ref: F,
    args: ArgsWithoutSecret<F>,
  ): Promise<FunctionReturnType<F>> {
    try {
      return await client.mutation(ref, { ...args, serverSecret });
    } catch (e) {
      throw fromConvexError(e);
    }
  }

  return {
    kind: "convex",

    // users
    async ensureUser(input) {
      if (!input.externalId) throw new StoreError("invalid", "externalId is required.");
      const email = canonicalEmail(input.email);
      const name = input.name?.trim() || defaultNameFor(email);
      return mutation(api.users.ensure, { externalId: input.externalId, email, name });
    },
    getUser: (userId) => query(api.users.get, { userId }),
    getUserByExternalId: (externalId) => query(api.users.getByExternalId, { externalId }),
    getUserByEmail: (email) => query(api.users.getByEmail, { email: lookupEmail(email) }),
    async setUserPlan(userId, plan) {
      await mutation(api.users.setPlan, { userId, plan });
    },
    async updateUserProfile(externalId, update) {
      return mutation(api.users.updateProfile, {
        externalId,
        email: update.email === undefined ? undefined : canonicalEmail(update.email),
        name: update.name,
      });
    },
    softDeleteUser: (externalId) => mutation(api.users.softDelete, { externalId }),

    // rate limits
    hitRateLimit: (key, window, now = Date.now()) =>
      mutation(api.rateLimits.hit, { key, max: window.max, windowMs: window.windowMs, now }),
    async releaseRateLimit(key, now = Date.now()) {
      await mutation(api.rateLimits.release, { key, now });
    },

    // credits
    getBalance: (userId) => query(api.credits.getBalance, { userId }),
    grantCredits: (userId, amount, reason, idempotencyKey) =>
      mutation(api.credits.grant, { userId, amount, reason, idempotencyKey }),
    reserveCredits: (userId, amount, idempotencyKey) => mutation(api.credits.reserve, { userId, amount, idempotencyKey }),
    chargeReservation: (reservationId, credits) => mutation(api.credits.charge, { reservationId, credits }),
    settleReservation: (reservationId) => mutation(api.credits.settle, { reservationId }),
    getReservation: (reservationId) => query(api.credits.getReservation, { reservationId }),
    listLedger: (userId, limit = DEFAULT_LIST_LIMIT) => query(api.credits.listLedger, { userId, limit }),

    // webhooks
    recordWebhookEvent: (source, eventId, effects = {}) =>
      mutation(api.webhooks.record, {
        source,
        eventId,
        grant: effects.grant,
        subscription: effects.subscription,
        createUser: effects.createUser && {
          externalId: effects.createUser.externalId,
          email: canonicalEmail(effects.createUser.email),
          name: effects.createUser.name,
        },
        profile: effects.profile && {
          externalId: effects.profile.externalId,
          email: effects.profile.email === undefined ? undefined : canonicalEmail(effects.profile.email),
          name: effects.profile.name,
        },
        softDelete: effects.softDelete && { externalId: effects.softDelete.externalId },
      }),

    // projects
    createProject: (userId, input) =>
      mutation(api.projects.create, {
        userId,
        name: input.name,
        description: input.description,
        prompt: input.prompt,
        framework: input.framework,
        model: input.model,
      }),
    listProjects: (userId) => query(api.projects.list, { userId }),
    getProject: (userId, projectId) => query(api.projects.get, { userId, projectId }),
    updateProject: (userId, projectId, patch) => mutation(api.projects.update, { userId, projectId, patch }),
    async deleteProject(userId, projectId) {
      const { project, toPurge } = await mutation(api.projects.remove, { userId, projectId });
      // Its rows go in bounded batches; so do those of any earlier deletion whose purge was cut short.
      for (const id of toPurge) {
        let done = false;
        for (let batch = 0; !done; batch++) {
          // Each batch removes megabytes; this many would be a bug. The project stays deleted; the next deletion resumes.
          if (batch === MAX_PURGE_BATCHES) throw new Error(`Purging deleted project ${id} did not finish.`);
          done = (await mutation(api.projects.purge, { userId, projectId: id })).done;
        }
      }
      return project;
    },

    // files & versions
    listFiles: (userId, projectId) => query(api.files.list, { userId, projectId }),
    getFile: (userId, projectId, path) => query(api.files.get, { userId, projectId, path }),
    async saveFiles(userId, projectId, input) {
      const version = await mutation(api.files.save, {
        userId,
        projectId,
        files: input.files.map((f) => ({ path: f.path, content: f.content })),
        deletes: input.deletes ?? [],
        message: input.message ?? "",
      });
      return toVersion(version);
    },
    async listVersions(userId, projectId) {
      return (await query(api.files.listVersions, { userId, projectId })).map(toVersion);
    },
    async getVersion(userId, projectId, number) {
      const version = await query(api.files.getVersion, { userId, projectId, number });
      return version ? toVersion(version) : null;
    },
    getVersionFiles: (userId, projectId, number) => query(api.files.getVersionFiles, { userId, projectId, number }),
    async restoreVersion(userId, projectId, number) {
      return toVersion(await mutation(api.files.restore, { userId, projectId, number }));
    },

    // generation steps & AI usage
    startGenerationStep: (userId, input) =>
      mutation(api.generations.startStep, {
        userId,
        projectId: input.projectId,
        runId: input.runId,
        role: input.role,
        model: input.model,
        provider: input.provider,
      }),
    finishGenerationStep: (userId, stepId, input) => mutation(api.generations.finishStep, { userId, stepId, ...input }),
    listGenerationSteps: (userId, runId) => query(api.generations.listSteps, { userId, runId }),
    recordAiRequest: (input) =>
      mutation(api.aiRequests.record, {
        userId: input.userId,
        projectId: input.projectId ?? null,
        kind: input.kind,
        model: input.model,
        tokens: input.tokens,
        credits: input.credits,
      }),
    listAiRequests: (userId, limit = DEFAULT_LIST_LIMIT) => query(api.aiRequests.list, { userId, limit }),
    async usageStats(userId) {
      const stats = await query(api.aiRequests.stats, { userId });
      return {
        totalRequests: stats.requests,
        totalTokens: stats.tokens,
        totalCredits: stats.credits,
        byKind: groupTotals(stats.byKind),
        byModel: groupTotals(stats.byModel),
      };
    },

    // runs and their events
    createRun: (userId, input) =>
      mutation(api.runs.create, {
        userId,
        projectId: input.projectId,
        reservationId: input.reservationId,
        cap: input.cap,
        estimate: input.estimate,
        ...(input.kind ? { kind: input.kind } : {}),
        ...(input.request !== undefined ? { request: input.request } : {}),
      }),
    getRun: (userId, runId) => query(api.runs.get, { userId, runId }),
    latestRun: (userId, projectId) => query(api.runs.latest, { userId, projectId }),
    listRuns: (userId, projectId, options = {}) =>
      query(api.runs.list, { userId, projectId, limit: options.limit ?? 20, ...(options.kind ? { kind: options.kind } : {}) }),
    finishRun: (userId, runId, input) =>
      mutation(api.runs.finish, { userId, runId, status: input.status, error: input.error ?? null }),
    appendRunEvent: (userId, runId, event) =>
      mutation(api.runs.appendEvent, { userId, runId, type: event.type, data: JSON.stringify(event) }),
    async listRunEvents(userId, runId, afterSeq = 0) {
      const rows = await query(api.runs.listEvents, { userId, runId, afterSeq });
      return rows.map((r) => ({ seq: r.seq, event: JSON.parse(r.data) as RunEvent }));
    },

    // deployments
    createDeployment: (userId, projectId, provider) => mutation(api.deployments.create, { userId, projectId, provider }),
    updateDeployment: (userId, deploymentId, patch) => mutation(api.deployments.update, { userId, deploymentId, patch }),
    listDeployments: (userId, projectId) => query(api.deployments.list, { userId, projectId }),
    async listUserDeployments(userId) {
      const records: DeploymentRecord[] = [];
      let cursor: string | null = null;
      for (;;) {
        const result: { page: DeploymentRecord[]; isDone: boolean; continueCursor: string } = await query(
          api.deployments.listForUser,
          { userId, cursor, numItems: 50 },
        );
        records.push(...result.page);
        if (result.isDone) return records;
        cursor = result.continueCursor;
      }
    },

    // subscriptions
    getSubscription: (userId) => query(api.subscriptions.get, { userId }),

    // users' own provider keys
    saveApiKey: (userId, provider, ciphertext, last4) => mutation(api.apiKeys.save, { userId, provider, ciphertext, last4 }),
    listApiKeys: (userId) => query(api.apiKeys.list, { userId }),
    deleteApiKey: (userId, provider) => mutation(api.apiKeys.remove, { userId, provider }),

    // users' own AI endpoints
    listAiEndpoints: (userId) => query(api.aiEndpoints.list, { userId }),
    getAiEndpoint: (userId, endpointId) => query(api.aiEndpoints.get, { userId, endpointId }),
    createAiEndpoint: (userId, input) =>
      mutation(api.aiEndpoints.create, {
        userId,
        name: input.name,
        baseUrl: input.baseUrl,
        ciphertext: input.ciphertext,
        last4: input.last4,
        models: input.models,
      }),
    updateAiEndpoint: (userId, endpointId, patch) =>
      mutation(api.aiEndpoints.update, { userId, endpointId, patch: { name: patch.name, models: patch.models } }),
    deleteAiEndpoint: (userId, endpointId) => mutation(api.aiEndpoints.remove, { userId, endpointId }),

    // local accounts and sessions
    async createLocalAccount(input) {
      const email = canonicalEmail(input.email);
      return mutation(api.localAuth.createAccount, {
        externalId: `local:${crypto.randomUUID()}`,
        email,
        name: input.name?.trim() || defaultNameFor(email),
        passwordHash: input.passwordHash,
      });
    },
    getLocalCredentials: (email) => query(api.localAuth.getCredentials, { email: lookupEmail(email) }),
    async createSession(tokenHash, userId, expiresAt) {
      await mutation(api.localAuth.createSession, { tokenHash, userId, expiresAt });
    },
    getSession: (tokenHash) => mutation(api.localAuth.getSession, { tokenHash }),
    async deleteSession(tokenHash) {
      await mutation(api.localAuth.deleteSession, { tokenHash });
    },

    async close() {},
  };
}
