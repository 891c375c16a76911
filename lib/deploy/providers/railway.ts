import { redactSecrets } from "@/lib/deploy/logs";
import type { CreateDeploymentInput, DeployProviderClient, DeploymentStatus, ProviderDeploymentState } from "@/lib/deploy/types";
import { DeployProviderError } from "@/lib/deploy/types";
import { gzipTarball, projectSlug } from "./files";
import { httpsUrl, providerRequest, scrubbedError, str, unexpected, type ProviderHttpOptions } from "./http";

/**
 * Railway client.
 * Docs: https://docs.railway.com/reference/public-api (GraphQL at /graphql/v2, Bearer token):
 * projectCreate, serviceCreate, serviceDomainCreate, deployment(id){status staticUrl},
 * buildLogs / deploymentLogs(deploymentId, limit), deploymentCancel(id).
 *
 * Uploading source: the public GraphQL API can only create a service from a
 * repo or an image, neither of which AUTOCREA has. So files go the way the
 * official CLI's `railway up` sends them (railwayapp/cli, src/controllers/upload.rs):
 * POST /project/{projectId}/environment/{environmentId}/up?serviceId=… with a
 * gzipped tarball (Content-Type application/gzip), answered with
 * `{deploymentId, url, logsUrl, deploymentDomain}`. That endpoint is the CLI's,
 * not in the public reference, hence kept to this one call.
 *
 * providerId is "<projectId>/<environmentId>/<serviceId>/<deploymentId>" so
 * the next deploy reuses the project and service.
 *
 * Retries: queries, deploymentCancel and the upload (a repeated upload makes a
 * newer deployment of the same files, which supersedes the first) are
 * retried on 429/5xx/network errors. projectCreate, serviceCreate and
 * serviceDomainCreate are not: a repeat could leave extra billable resources.
 */

export type RailwayClientOptions = ProviderHttpOptions;

const STATUS_BY_RAILWAY: Record<string, DeploymentStatus> = {
  INITIALIZING: "pending",
  QUEUED: "pending",
  WAITING: "pending",
  NEEDS_APPROVAL: "pending",
  BUILDING: "building",
  DEPLOYING: "building",
  SUCCESS: "success",
  SLEEPING: "success",
  FAILED: "failed",
  CRASHED: "failed",
  REMOVED: "canceled",
  REMOVING: "canceled",
  SKIPPED: "canceled",
};

const AUTH_ERROR = /not authori[sz]ed|unauthori[sz]ed|unauthenticated|invalid token|forbidden/i;

interface Ids {
  projectId: string;
  environmentId: string;
  serviceId: string;
  deploymentId: string;
}

function splitProviderId(providerId: string): Ids {
  const parts = providerId.split("/");
  if (parts.length === 4 && parts.every(Boolean)) {
    const [projectId, environmentId, serviceId, deploymentId] = parts;
    return { projectId, environmentId, serviceId, deploymentId };
  }
  return { projectId: "", environmentId: "", serviceId: "", deploymentId: parts.at(-1) ?? providerId };
}

export function createRailwayClient(options: RailwayClientOptions): DeployProviderClient {
  async function graphql<T>(token: string, query: string, variables: Record<string, unknown>, retry: boolean, signal?: AbortSignal): Promise<T> {
    const response = await providerRequest("railway", options, { method: "POST", path: "/graphql/v2", token, signal, retry, body: { query, variables } });
    const body = response.json as { data?: T | null; errors?: { message?: string }[] } | null;
    if (body?.errors?.length) {
      const message = body.errors.map((e) => e.message ?? "error").join("; ");
      const unauthorized = AUTH_ERROR.test(message);
      throw scrubbedError("railway", unauthorized ? `Railway rejected the token: ${message}` : `Railway: ${message}`, token, {
        retryable: false,
        code: unauthorized ? "unauthorized" : "bad_request",
      });
    }
    if (!body?.data) throw unexpected("railway", "data");
    return body.data;
  }

  async function logLines(token: string, deploymentId: string, limit: number, signal?: AbortSignal): Promise<string[]> {
    const data = await graphql<{ buildLogs?: { message?: string }[] | null; deploymentLogs?: { message?: string }[] | null }>(
      token,
      `query DeploymentLogs($deploymentId: String!, $limit: Int) {
        buildLogs(deploymentId: $deploymentId, limit: $limit) { timestamp message severity }
        deploymentLogs(deploymentId: $deploymentId, limit: $limit) { timestamp message severity }
      }`,
      { deploymentId, limit },
      true,
      signal,
    );
    return [...(data.buildLogs ?? []), ...(data.deploymentLogs ?? [])]
      .map((entry) => entry.message ?? "")
      .filter((line) => line.trim() !== "");
  }

  async function setUp(input: CreateDeploymentInput): Promise<Omit<Ids, "deploymentId">> {
    const { token, signal } = input;
    const previous = input.previousProviderId ? splitProviderId(input.previousProviderId) : null;
    if (previous?.projectId && previous.environmentId && previous.serviceId) return previous;

    const name = projectSlug(input.projectName);
    const { projectCreate } = await graphql<{
      projectCreate: { id: string; environments?: { edges?: { node: { id: string; name: string } }[] } };
    }>(
      token,
      `mutation ProjectCreate($name: String) {
        projectCreate(input: { name: $name }) { id name environments { edges { node { id name } } } }
      }`,
      { name },
      false,
      signal,
    );
    const environments = projectCreate.environments?.edges?.map((e) => e.node) ?? [];
    const environment = environments.find((e) => e.name === "production") ?? environments[0];
    if (!projectCreate.id || !environment) throw unexpected("railway", "a project and environment");

    const { serviceCreate } = await graphql<{ serviceCreate: { id: string } }>(
      token,
      `mutation ServiceCreate($projectId: String!, $environmentId: String!, $name: String) {
        serviceCreate(input: { projectId: $projectId, environmentId: $environmentId, name: $name }) { id }
      }`,
      { projectId: projectCreate.id, environmentId: environment.id, name },
      false,
      signal,
    );
    if (!serviceCreate?.id) throw unexpected("railway", "a service id");

    // A public *.up.railway.app domain, so the deployment gets a staticUrl.
    await graphql(
      token,
      `mutation ServiceDomainCreate($environmentId: String!, $serviceId: String!) {
        serviceDomainCreate(input: { environmentId: $environmentId, serviceId: $serviceId }) { id domain }
      }`,
      { environmentId: environment.id, serviceId: serviceCreate.id },
      false,
      signal,
    );
    return { projectId: projectCreate.id, environmentId: environment.id, serviceId: serviceCreate.id };
  }

  async function status(token: string, providerId: string, signal?: AbortSignal): Promise<ProviderDeploymentState> {
    const ids = splitProviderId(providerId);
    const { deployment } = await graphql<{ deployment: { id: string; status: string; staticUrl?: string | null; url?: string | null } | null }>(
      token,
      `query Deployment($id: String!) { deployment(id: $id) { id status staticUrl url } }`,
      { id: ids.deploymentId },
      true,
      signal,
    );
    if (!deployment) throw new DeployProviderError("railway", "Railway: deployment not found", { retryable: false, code: "not_found" });
    const mapped = STATUS_BY_RAILWAY[deployment.status] ?? "pending";
    const state: ProviderDeploymentState = {
      providerId,
      status: mapped,
      url: mapped === "success" ? httpsUrl(deployment.staticUrl ?? deployment.url) : null,
    };
    if (mapped === "failed") {
      // Railway has no error field on a deployment; its last log line is the reason.
      const lines = await logLines(token, ids.deploymentId, 50, signal).catch(() => []);
      state.errorMessage = redactSecrets(lines.at(-1) ?? "", [token]) || (deployment.status === "CRASHED" ? "The app crashed" : "The build failed");
    }
    return state;
  }

  return {
    provider: "railway",

    async create(input) {
      const { token, signal } = input;
      const ids = await setUp(input);
      const path =
        `/project/${encodeURIComponent(ids.projectId)}/environment/${encodeURIComponent(ids.environmentId)}/up?` +
        new URLSearchParams({ serviceId: ids.serviceId, message: "Deployed from AUTOCREA" }).toString();
      const response = await providerRequest("railway", options, {
        method: "POST",
        path,
        token,
        signal,
        retry: true,
        body: new Uint8Array(gzipTarball(input.files)),
        headers: { "content-type": "application/gzip" },
      });
      const deploymentId = str(response.json, "deploymentId");
      if (!deploymentId) throw unexpected("railway", "a deployment id");
      return { providerId: `${ids.projectId}/${ids.environmentId}/${ids.serviceId}/${deploymentId}`, status: "pending", url: null };
    },

    status,

    async logs(token, providerId, signal) {
      return redactSecrets((await logLines(token, splitProviderId(providerId).deploymentId, 500, signal)).join("\n"), [token]);
    },

    async cancel(token, providerId, signal) {
      await graphql(token, `mutation DeploymentCancel($id: String!) { deploymentCancel(id: $id) }`, { id: splitProviderId(providerId).deploymentId }, true, signal);
    },
  };
}
