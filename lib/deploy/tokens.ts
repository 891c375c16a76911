import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { readUserKey } from "@/lib/secrets/user-keys";
import { getStore, type Id } from "@/lib/store";
import { PROVIDER_LABELS } from "./labels";
import { DEPLOY_PROVIDERS, type DeploymentProvider } from "./types";

/**
 * Which token deploys a user's project to a provider: the user's own (stored
 * encrypted under /api/keys) first, else the platform's from env. The token
 * itself only ever leaves this module towards the provider client.
 */

export type DeployTokenSource = "user" | "platform";

export interface DeployToken {
  token: string;
  source: DeployTokenSource;
}

/** What the browser may know about a provider's token: whether there is one, and whose. */
export interface DeployProviderSummary {
  provider: DeploymentProvider;
  available: boolean;
  source: DeployTokenSource | null;
}

function platformToken(provider: DeploymentProvider): string | undefined {
  const e = env();
  switch (provider) {
    case "vercel":
      return e.VERCEL_TOKEN;
    case "netlify":
      return e.NETLIFY_AUTH_TOKEN;
    case "railway":
      return e.RAILWAY_TOKEN;
  }
}

export const deployNotConfigured = (provider: DeploymentProvider) =>
  new HttpError(
    400,
    "deploy_not_configured",
    `Deploying to ${PROVIDER_LABELS[provider]} needs a token. Add your ${PROVIDER_LABELS[provider]} token in Settings → Deploy and Git tokens.`,
    { provider },
  );

/** The token to use, or a 400 `deploy_not_configured` when neither the user nor the platform has one. */
export async function resolveDeployToken(userId: Id, provider: DeploymentProvider): Promise<DeployToken> {
  let own: string | null;
  try {
    own = await readUserKey(userId, provider);
  } catch {
    throw new HttpError(
      400,
      "deploy_token_unreadable",
      `Your saved ${PROVIDER_LABELS[provider]} token can no longer be read on this server. Save it again in Settings → Deploy and Git tokens.`,
      { provider },
    );
  }
  if (own) return { token: own, source: "user" };
  const platform = platformToken(provider);
  if (platform) return { token: platform, source: "platform" };
  throw deployNotConfigured(provider);
}

/** One summary per provider, from the stored key records (nothing is decrypted). */
export async function deployProviderSummaries(userId: Id): Promise<DeployProviderSummary[]> {
  const store = await getStore();
  const stored = new Set((await store.listApiKeys(userId)).map((k) => k.provider));
  return DEPLOY_PROVIDERS.map((provider) => {
    const source: DeployTokenSource | null = stored.has(provider) ? "user" : platformToken(provider) ? "platform" : null;
    return { provider, available: source !== null, source };
  });
}
