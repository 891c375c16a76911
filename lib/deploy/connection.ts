import { env } from "@/lib/env";
import type { Id } from "@/lib/store";
import { deployClient, type DeployClientOptions } from "./providers";
import { resolveDeployToken, type DeployTokenSource } from "./tokens";
import type { DeployProviderClient, DeploymentProvider } from "./types";

export interface ProviderConnection {
  client: DeployProviderClient;
  token: string;
  source: DeployTokenSource;
}

/**
 * The client and token for one user's deploys to a provider. The platform's
 * Vercel team applies only with the platform's token: a user's own token
 * deploys to their own account.
 */
export async function connectProvider(userId: Id, provider: DeploymentProvider): Promise<ProviderConnection> {
  const { token, source } = await resolveDeployToken(userId, provider);
  const teamId = source === "platform" ? env().VERCEL_TEAM_ID : undefined;
  return { client: deployClient(provider, { ...clientOptionsForTests, teamId }), token, source };
}

let clientOptionsForTests: Omit<DeployClientOptions, "teamId" | "baseUrl"> = {};

/** Tests only: e.g. shorter retry delays inside the provider clients. */
export function setDeployClientOptionsForTests(options: Omit<DeployClientOptions, "teamId" | "baseUrl">): void {
  clientOptionsForTests = options;
}
