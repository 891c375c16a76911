import { getStore, type Deployment } from "@/lib/store";
import { connectProvider } from "./connection";
import { PROVIDER_LABELS } from "./labels";
import { appendLogLines } from "./logs";
import { DeploymentPoller, type PollSink } from "./poller";
import { isFinalStatus } from "./types";

/**
 * The app's one poller (per process), writing to the store, and the resume
 * rule for deployments whose poller is gone (a server restart).
 */

export const storeSink: PollSink = {
  async update(deployment, patch) {
    const store = await getStore();
    return store.updateDeployment(deployment.userId, deployment.id, patch);
  },
};

export const deploymentPoller = new DeploymentPoller(storeSink);

/** A pending deployment without a providerId older than this was interrupted while being created. */
const CREATE_INTERRUPTED_AFTER_MS = 5 * 60_000;

/**
 * Makes sure a non-final deployment is being polled in this process; returns
 * the record as it stands (failed when it can no longer be followed).
 */
export async function ensurePolling(deployment: Deployment, now = Date.now()): Promise<Deployment> {
  if (isFinalStatus(deployment.status) || deploymentPoller.isPolling(deployment.id)) return deployment;
  const label = PROVIDER_LABELS[deployment.provider];
  if (!deployment.providerId) {
    if (now - deployment.createdAt < CREATE_INTERRUPTED_AFTER_MS) return deployment;
    return storeSink.update(deployment, {
      status: "failed",
      logs: appendLogLines(deployment.logs, `The deployment was interrupted before ${label} accepted it. Deploy again.`),
    });
  }
  let connection;
  try {
    connection = await connectProvider(deployment.userId, deployment.provider);
  } catch {
    return storeSink.update(deployment, {
      status: "failed",
      logs: appendLogLines(deployment.logs, `No ${label} token is available any more to follow this deployment.`),
    });
  }
  deploymentPoller.start({ deployment, client: connection.client, token: connection.token });
  return deployment;
}
