import { HttpError, notFound } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import { getStore, type Deployment, type Id } from "@/lib/store";
import { projectForExport } from "@/lib/workspace/files";
import { continueAfterResponse } from "@/lib/http/background";
import { deploymentPoller, ensurePolling, storeSink } from "./background";
import { connectProvider } from "./connection";
import { PROVIDER_LABELS } from "./labels";
import { appendLogLines, describeProviderError, redactSecrets } from "./logs";
import { recordFinalState } from "./poller";
import { uploadPlan } from "./upload-files";
import { DEPLOY_PROVIDERS, isFinalStatus, type DeploymentProvider, type DeploymentStatus } from "./types";

/**
 * Deployments of a user's projects: start one from the project's current
 * files, follow it in the background, cancel, retry, list, and count.
 * Someone else's project or deployment is a 404.
 */

/** What the browser sees of a deployment (no providerId). */
export interface PublicDeployment {
  id: Id;
  /** null once the project was deleted. */
  projectId: Id | null;
  provider: DeploymentProvider;
  status: DeploymentStatus;
  url: string | null;
  logs: string;
  createdAt: number;
  updatedAt: number;
}

export const toPublicDeployment = (d: Deployment): PublicDeployment => ({
  id: d.id,
  projectId: d.projectId,
  provider: d.provider,
  status: d.status,
  url: d.url,
  logs: d.logs,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

export interface DeploymentStats {
  total: number;
  byStatus: Record<DeploymentStatus, number>;
  /** success / (success + failed + canceled); null while nothing has finished. */
  successRate: number | null;
  byProvider: Record<DeploymentProvider, number>;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

async function latestVersionNumber(userId: Id, projectId: Id): Promise<number | null> {
  const store = await getStore();
  const versions = await store.listVersions(userId, projectId);
  return versions.reduce<number | null>((max, v) => (max === null || v.number > max ? v.number : max), null);
}

/**
 * Deploys the project's current files. Returns once the provider has
 * accepted (or refused) the upload; the status is then followed in the background.
 */
export async function startDeployment(userId: Id, projectId: Id, provider: DeploymentProvider): Promise<Deployment> {
  const { project, files } = await projectForExport(userId, projectId);
  if (files.length === 0) {
    throw new HttpError(400, "empty_project", "This project has no files yet: there is nothing to deploy.");
  }
  const { client, token, source } = await connectProvider(userId, provider);
  const label = PROVIDER_LABELS[provider];
  const store = await getStore();
  const previous = (await store.listDeployments(userId, projectId)).find((d) => d.provider === provider && d.providerId);
  const version = await latestVersionNumber(userId, projectId);
  const upload = uploadPlan(provider, files.map(({ path, content }) => ({ path, content })));

  let deployment = await store.createDeployment(userId, projectId, provider);
  const log = (lines: string | string[]) => appendLogLines(deployment.logs, lines, [token]);
  deployment = await store.updateDeployment(userId, deployment.id, {
    logs: log([
      `Deploying ${version === null ? "the current files" : `version ${version}`} of "${project.name}" to ${label} with ${source === "user" ? "your" : "the platform's"} token.`,
      ...upload.notes,
      `Uploading ${plural(upload.files.length, "file")} to ${label}…`,
    ]),
  });

  let state;
  try {
    state = await client.create({
      token,
      projectName: project.name,
      files: upload.files,
      previousProviderId: previous?.providerId ?? null,
    });
  } catch (err) {
    return store.updateDeployment(userId, deployment.id, {
      status: "failed",
      logs: log(`Deployment failed: ${describeProviderError(label, err)}`),
    });
  }

  // A cancel may have landed while the upload was in flight.
  const latest = (await store.listDeployments(userId, projectId)).find((d) => d.id === deployment.id) ?? deployment;
  if (latest.status === "canceled") {
    await client.cancel(token, state.providerId).catch(() => undefined);
    return store.updateDeployment(userId, deployment.id, { providerId: state.providerId });
  }

  deployment = await store.updateDeployment(userId, deployment.id, {
    providerId: state.providerId,
    status: state.status,
    url: state.url,
    logs: log(
      isFinalStatus(state.status) ? `${label} accepted the upload.` : `${label} accepted the upload; waiting for the build…`,
    ),
  });
  const target = { deployment, client, token };
  if (isFinalStatus(state.status)) return recordFinalState(storeSink, target, state);
  // The upload's route answers now; the build is followed after the response (README, "Deploying on Vercel").
  if (deploymentPoller.start(target)) continueAfterResponse(deploymentPoller.whenDone(deployment.id)!);
  return deployment;
}

async function findDeployment(userId: Id, projectId: Id, deploymentId: string): Promise<Deployment> {
  await getProject(userId, projectId);
  const store = await getStore();
  const deployment = (await store.listDeployments(userId, projectId)).find((d) => d.id === deploymentId);
  if (!deployment) throw notFound("Deployment");
  return deployment;
}

/** The deployment, resuming its polling if it is still running and nobody follows it. */
export async function getDeployment(userId: Id, projectId: Id, deploymentId: string): Promise<Deployment> {
  return ensurePolling(await findDeployment(userId, projectId, deploymentId));
}

/** How many deployments the project's history shows, and how much of an older one's log it carries. */
export const DEPLOYMENT_HISTORY_LIMIT = 50;
export const HISTORY_LOG_TAIL_CHARS = 2_000;

/**
 * The project's newest deployments, newest first (resuming any unfollowed
 * running ones). The browser polls this while a build runs, so only the
 * newest carries its whole log; older ones carry the tail (GET one for all of it).
 */
export async function listProjectDeployments(userId: Id, projectId: Id): Promise<Deployment[]> {
  await getProject(userId, projectId);
  const store = await getStore();
  const deployments = (await store.listDeployments(userId, projectId)).slice(0, DEPLOYMENT_HISTORY_LIMIT);
  const followed = await Promise.all(deployments.map((d) => ensurePolling(d)));
  return followed.map((d, i) =>
    i === 0 || d.logs.length <= HISTORY_LOG_TAIL_CHARS ? d : { ...d, logs: `…${d.logs.slice(-HISTORY_LOG_TAIL_CHARS)}` },
  );
}

const alreadyFinished = (d: Deployment) =>
  new HttpError(409, "deployment_finished", `This deployment has already finished (${d.status}).`, { status: d.status });

/** Cancels a pending or building deployment at the provider; 409 when it has already finished. */
export async function cancelDeployment(userId: Id, projectId: Id, deploymentId: string): Promise<Deployment> {
  let deployment = await findDeployment(userId, projectId, deploymentId);
  if (isFinalStatus(deployment.status)) throw alreadyFinished(deployment);
  await deploymentPoller.stop(deployment.id);
  // The poller may have recorded a final state just before it stopped.
  deployment = await findDeployment(userId, projectId, deploymentId);
  if (isFinalStatus(deployment.status)) throw alreadyFinished(deployment);

  const label = PROVIDER_LABELS[deployment.provider];
  const store = await getStore();
  if (deployment.providerId) {
    const { client, token } = await connectProvider(userId, deployment.provider);
    try {
      await client.cancel(token, deployment.providerId);
    } catch (err) {
      await ensurePolling(deployment);
      throw new HttpError(
        502,
        "deploy_cancel_failed",
        redactSecrets(`${label} did not cancel the deployment. ${describeProviderError(label, err)}`, [token]),
      );
    }
  }
  return store.updateDeployment(userId, deployment.id, {
    status: "canceled",
    logs: appendLogLines(deployment.logs, `Canceled at your request.`),
  });
}

/** A new deployment of the project's current files to the same provider, after a failed or canceled one. */
export async function retryDeployment(userId: Id, projectId: Id, deploymentId: string): Promise<Deployment> {
  const deployment = await findDeployment(userId, projectId, deploymentId);
  if (deployment.status !== "failed" && deployment.status !== "canceled") {
    throw new HttpError(
      409,
      "deployment_not_retryable",
      `Only a failed or canceled deployment can be retried; this one is ${deployment.status}.`,
      { status: deployment.status },
    );
  }
  return startDeployment(userId, projectId, deployment.provider);
}

/** Counts across all the user's deployments, those of deleted projects included (they stay in the records). */
export async function deploymentStats(userId: Id): Promise<DeploymentStats> {
  const store = await getStore();
  const all = await store.listUserDeployments(userId);
  const byStatus: Record<DeploymentStatus, number> = { pending: 0, building: 0, success: 0, failed: 0, canceled: 0 };
  const byProvider = Object.fromEntries(DEPLOY_PROVIDERS.map((p) => [p, 0])) as Record<DeploymentProvider, number>;
  for (const d of all) {
    byStatus[d.status] += 1;
    byProvider[d.provider] += 1;
  }
  const finished = byStatus.success + byStatus.failed + byStatus.canceled;
  return {
    total: all.length,
    byStatus,
    successRate: finished === 0 ? null : byStatus.success / finished,
    byProvider,
  };
}
