import { env } from "@/lib/env";
import type { DeployProviderClient, DeploymentProvider } from "@/lib/deploy/types";
import type { ProviderHttpOptions } from "./http";
import { createNetlifyClient } from "./netlify";
import { createRailwayClient } from "./railway";
import { createVercelClient } from "./vercel";

export { createNetlifyClient, createRailwayClient, createVercelClient };

export const DEFAULT_API_URLS: Record<DeploymentProvider, string> = {
  vercel: "https://api.vercel.com",
  netlify: "https://api.netlify.com",
  railway: "https://backboard.railway.com",
};

export interface DeployClientOptions extends Partial<ProviderHttpOptions> {
  /** Vercel only: the team to deploy into. Never defaulted here, because only the platform's token belongs to VERCEL_TEAM_ID. */
  teamId?: string;
  /** Vercel only: files above this are uploaded via /v2/files instead of inlined. */
  inlineFileLimitBytes?: number;
}

/** The client for one provider; the base URL defaults from env() (VERCEL_API_URL, NETLIFY_API_URL, RAILWAY_API_URL). */
export function deployClient(provider: DeploymentProvider, options: DeployClientOptions = {}): DeployProviderClient {
  const e = env();
  switch (provider) {
    case "vercel":
      return createVercelClient({
        ...options,
        baseUrl: options.baseUrl ?? e.VERCEL_API_URL ?? DEFAULT_API_URLS.vercel,
      });
    case "netlify":
      return createNetlifyClient({ ...options, baseUrl: options.baseUrl ?? e.NETLIFY_API_URL ?? DEFAULT_API_URLS.netlify });
    case "railway":
      return createRailwayClient({ ...options, baseUrl: options.baseUrl ?? e.RAILWAY_API_URL ?? DEFAULT_API_URLS.railway });
  }
}
