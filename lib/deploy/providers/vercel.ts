import { redactSecrets } from "@/lib/deploy/logs";
import type { CreateDeploymentInput, DeployProviderClient, DeploymentStatus, ProviderDeploymentState } from "@/lib/deploy/types";
import { detectFramework, digestFiles, projectSlug } from "./files";
import { httpsUrl, providerRequest, str, unexpected, type ProviderHttpOptions } from "./http";

/**
 * Vercel REST API client.
 * Docs: https://vercel.com/docs/rest-api/deployments/create-a-new-deployment (POST /v13/deployments),
 * …/upload-deployment-files (POST /v2/files, x-vercel-digest = SHA1),
 * …/get-a-deployment-by-id-or-url (GET /v13/deployments/{id}),
 * …/get-deployment-events (GET /v3/deployments/{id}/events),
 * …/cancel-a-deployment (PATCH /v12/deployments/{id}/cancel).
 * Every call takes `?teamId=` when a team is configured.
 *
 * Retries: GETs, file uploads (content-addressed by SHA1, so idempotent) and
 * cancel are retried on 429/5xx/network errors. Create is retried too: when a
 * first attempt did go through, Vercel answers the repeat with the "previous
 * similar deployment" (we never send forceNew), so no duplicate build starts.
 */

export interface VercelClientOptions extends ProviderHttpOptions {
  teamId?: string;
  /** Files up to this size are sent inline (base64); bigger ones are uploaded first via /v2/files. Default 64 KiB. */
  inlineFileLimitBytes?: number;
}

const STATUS_BY_READY_STATE: Record<string, DeploymentStatus> = {
  QUEUED: "pending",
  INITIALIZING: "pending",
  BUILDING: "building",
  READY: "success",
  ERROR: "failed",
  CANCELED: "canceled",
};

export function createVercelClient(options: VercelClientOptions): DeployProviderClient {
  const inlineLimit = options.inlineFileLimitBytes ?? 64 * 1024;
  const withTeam = (path: string, query: Record<string, string> = {}) => {
    const params = new URLSearchParams(query);
    if (options.teamId) params.set("teamId", options.teamId);
    const qs = params.toString();
    return qs ? `${path}?${qs}` : path;
  };

  function toState(body: unknown, token: string): ProviderDeploymentState {
    const id = str(body, "id");
    if (!id) throw unexpected("vercel", "a deployment id");
    const readyState = str(body, "readyState") ?? str(body, "status") ?? "QUEUED";
    const status = STATUS_BY_READY_STATE[readyState] ?? "pending";
    const errorMessage =
      status === "failed" ? redactSecrets(str(body, "errorMessage") ?? str(body, "errorCode") ?? "The build failed", [token]) : undefined;
    const url = status === "failed" || status === "canceled" ? null : httpsUrl(str(body, "url"));
    return { providerId: id, status, url, ...(errorMessage ? { errorMessage } : {}) };
  }

  return {
    provider: "vercel",

    async create(input: CreateDeploymentInput) {
      const { token, signal } = input;
      const files = digestFiles(input.files);
      const entries = [];
      for (const file of files) {
        if (file.size > inlineLimit) {
          await providerRequest("vercel", options, {
            method: "POST",
            path: withTeam("/v2/files"),
            token,
            signal,
            retry: true,
            body: new Uint8Array(file.bytes),
            headers: { "content-type": "application/octet-stream", "x-vercel-digest": file.sha1, "x-now-size": String(file.size) },
          });
          entries.push({ file: file.path, sha: file.sha1, size: file.size });
        } else {
          entries.push({ file: file.path, data: file.bytes.toString("base64"), encoding: "base64" });
        }
      }
      const response = await providerRequest("vercel", options, {
        method: "POST",
        path: withTeam("/v13/deployments", { skipAutoDetectionConfirmation: "1" }),
        token,
        signal,
        retry: true,
        body: {
          name: projectSlug(input.projectName),
          files: entries,
          target: "production",
          projectSettings: { framework: detectFramework(input.files) },
        },
      });
      return toState(response.json, token);
    },

    async status(token, providerId, signal) {
      const response = await providerRequest("vercel", options, {
        method: "GET",
        path: withTeam(`/v13/deployments/${encodeURIComponent(providerId)}`),
        token,
        signal,
        retry: true,
      });
      return toState(response.json, token);
    },

    async logs(token, providerId, signal) {
      const response = await providerRequest("vercel", options, {
        method: "GET",
        path: withTeam(`/v3/deployments/${encodeURIComponent(providerId)}/events`, { direction: "forward", follow: "0", limit: "-1", builds: "1" }),
        token,
        signal,
        retry: true,
      });
      const events = Array.isArray(response.json) ? response.json : [];
      const text = events
        .map((event) => {
          const payload = event && typeof event === "object" ? (event as Record<string, unknown>).payload : undefined;
          return str(payload, "text") ?? str(event, "text") ?? "";
        })
        .filter((line) => line !== "")
        .join("\n");
      return redactSecrets(text, [token]);
    },

    async cancel(token, providerId, signal) {
      await providerRequest("vercel", options, {
        method: "PATCH",
        path: withTeam(`/v12/deployments/${encodeURIComponent(providerId)}/cancel`),
        token,
        signal,
        retry: true,
      });
    },
  };
}
