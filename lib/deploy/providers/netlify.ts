import { randomBytes } from "node:crypto";
import { redactSecrets } from "@/lib/deploy/logs";
import type { CreateDeploymentInput, DeployProviderClient, DeploymentStatus, ProviderDeploymentState } from "@/lib/deploy/types";
import { digestFiles, projectSlug } from "./files";
import { httpsUrl, providerRequest, str, unexpected, type ProviderHttpOptions } from "./http";

/**
 * Netlify API client, file-digest deploys.
 * Docs: https://docs.netlify.com/api-and-cli-guides/api-guides/get-started-with-api/#file-digest-method
 * and the OpenAPI reference https://open-api.netlify.com (createSite POST /api/v1/sites,
 * createSiteDeploy POST /api/v1/sites/{site_id}/deploys with `files: {"/path": sha1}`,
 * uploadDeployFile PUT /api/v1/deploys/{deploy_id}/files/{path} for each sha in `required`,
 * getDeploy GET /api/v1/deploys/{deploy_id}, cancelSiteDeploy POST /api/v1/deploys/{deploy_id}/cancel).
 *
 * providerId is "<siteId>/<deployId>" so the next deploy of the project reuses the site.
 *
 * Logs: a file-digest deploy runs no build, and the REST API has no log
 * endpoint for it, so logs() reports what the deploy object itself says: its
 * state, the `summary.messages` Netlify attaches (title + description) and
 * `error_message`.
 *
 * Retries: GET, the file PUTs (same path + same bytes) and cancel are retried;
 * creating the deploy is retried too (a duplicate deploy left in "uploading"
 * is never published and expires). Creating the site is NOT retried: a repeat
 * could leave an extra site in the user's account.
 */

export type NetlifyClientOptions = ProviderHttpOptions;

const STATUS_BY_STATE: Record<string, DeploymentStatus> = {
  new: "pending",
  pending_review: "pending",
  accepted: "pending",
  enqueued: "pending",
  uploading: "pending",
  uploaded: "pending",
  preparing: "pending",
  prepared: "pending",
  building: "building",
  processing: "building",
  processed: "building",
  ready: "success",
  current: "success",
  error: "failed",
  rejected: "failed",
  canceled: "canceled",
  cancelled: "canceled",
};

function splitProviderId(providerId: string): { siteId: string; deployId: string } {
  const slash = providerId.indexOf("/");
  return slash < 0 ? { siteId: "", deployId: providerId } : { siteId: providerId.slice(0, slash), deployId: providerId.slice(slash + 1) };
}

export function createNetlifyClient(options: NetlifyClientOptions): DeployProviderClient {
  function toState(siteId: string, body: unknown, token: string): ProviderDeploymentState {
    const deployId = str(body, "id");
    if (!deployId) throw unexpected("netlify", "a deploy id");
    const site = siteId || str(body, "site_id") || "";
    const state = str(body, "state") ?? "new";
    let status = STATUS_BY_STATE[state] ?? "pending";
    const errorText = str(body, "error_message");
    // Netlify marks a canceled deploy as an error whose message says so.
    if (status === "failed" && errorText && /cancel/i.test(errorText)) status = "canceled";
    const url = status === "success" ? httpsUrl(str(body, "ssl_url") ?? str(body, "deploy_ssl_url") ?? str(body, "url")) : null;
    const errorMessage = status === "failed" ? redactSecrets(errorText ?? "The deploy failed", [token]) : undefined;
    return { providerId: `${site}/${deployId}`, status, url, ...(errorMessage ? { errorMessage } : {}) };
  }

  async function getDeploy(token: string, deployId: string, signal?: AbortSignal) {
    const response = await providerRequest("netlify", options, {
      method: "GET",
      path: `/api/v1/deploys/${encodeURIComponent(deployId)}`,
      token,
      signal,
      retry: true,
    });
    return response.json;
  }

  return {
    provider: "netlify",

    async create(input: CreateDeploymentInput) {
      const { token, signal } = input;
      let siteId = input.previousProviderId ? splitProviderId(input.previousProviderId).siteId : "";
      if (!siteId) {
        const site = await providerRequest("netlify", options, {
          method: "POST",
          path: "/api/v1/sites",
          token,
          signal,
          retry: false,
          body: { name: `${projectSlug(input.projectName, 40)}-${randomBytes(3).toString("hex")}` },
        });
        siteId = str(site.json, "id") ?? "";
        if (!siteId) throw unexpected("netlify", "a site id");
      }

      const files = digestFiles(input.files);
      const created = await providerRequest("netlify", options, {
        method: "POST",
        path: `/api/v1/sites/${encodeURIComponent(siteId)}/deploys`,
        token,
        signal,
        retry: true,
        body: { files: Object.fromEntries(files.map((f) => [`/${f.path}`, f.sha1])) },
      });
      const deployId = str(created.json, "id");
      if (!deployId) throw unexpected("netlify", "a deploy id");

      const required = new Set(
        Array.isArray((created.json as { required?: unknown }).required) ? ((created.json as { required: unknown[] }).required as string[]) : [],
      );
      const uploaded = new Set<string>();
      for (const file of files) {
        // Identical files share a sha; Netlify needs the bytes once per sha.
        if (!required.has(file.sha1) || uploaded.has(file.sha1)) continue;
        uploaded.add(file.sha1);
        await providerRequest("netlify", options, {
          method: "PUT",
          path: `/api/v1/deploys/${encodeURIComponent(deployId)}/files/${file.path.split("/").map(encodeURIComponent).join("/")}`,
          token,
          signal,
          retry: true,
          body: new Uint8Array(file.bytes),
          headers: { "content-type": "application/octet-stream" },
        });
      }
      return toState(siteId, uploaded.size ? await getDeploy(token, deployId, signal) : created.json, token);
    },

    async status(token, providerId, signal) {
      const { siteId, deployId } = splitProviderId(providerId);
      return toState(siteId, await getDeploy(token, deployId, signal), token);
    },

    async logs(token, providerId, signal) {
      const deploy = await getDeploy(token, splitProviderId(providerId).deployId, signal);
      const lines: string[] = [];
      const state = str(deploy, "state");
      if (state) lines.push(`Deploy state: ${state}`);
      const summary = (deploy as { summary?: { messages?: unknown } } | null)?.summary;
      if (summary && Array.isArray(summary.messages)) {
        for (const message of summary.messages) {
          const title = str(message, "title");
          const description = str(message, "description");
          const text = [title, description].filter(Boolean).join(": ");
          if (text) lines.push(text);
        }
      }
      const error = str(deploy, "error_message");
      if (error) lines.push(`Error: ${error}`);
      return redactSecrets(lines.join("\n"), [token]);
    },

    async cancel(token, providerId, signal) {
      await providerRequest("netlify", options, {
        method: "POST",
        path: `/api/v1/deploys/${encodeURIComponent(splitProviderId(providerId).deployId)}/cancel`,
        token,
        signal,
        retry: true,
      });
    },
  };
}
