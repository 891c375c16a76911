import type { DeploymentProvider, DeploymentStatus } from "@/lib/store/types";

/**
 * One interface for every deploy host (Vercel, Netlify, Railway). A client
 * speaks its provider's documented REST/GraphQL API with fetch against a
 * configurable base URL; it knows nothing about users, the store or polling.
 */

export type { DeploymentProvider, DeploymentStatus };

export const DEPLOY_PROVIDERS = ["vercel", "netlify", "railway"] as const satisfies readonly DeploymentProvider[];

export const FINAL_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = ["success", "failed", "canceled"];

export const isFinalStatus = (status: DeploymentStatus): boolean => FINAL_DEPLOYMENT_STATUSES.includes(status);

/** A project file as deployed: a normalized relative path ("src/index.ts") and its UTF-8 text. */
export interface DeployFile {
  path: string;
  content: string;
}

export interface CreateDeploymentInput {
  /** The provider token (user's own or the platform's). Never logged, never returned. */
  token: string;
  /** The AUTOCREA project's name; the client derives a provider-safe slug from it. */
  projectName: string;
  files: DeployFile[];
  /**
   * The providerId of this project's previous deployment on the same provider,
   * when there is one: lets a client reuse the site/project/service it created
   * then instead of making a new one per deploy.
   */
  previousProviderId?: string | null;
  signal?: AbortSignal;
}

/** What the provider says about one deployment, mapped onto our statuses. */
export interface ProviderDeploymentState {
  /** Opaque to callers; a client may pack several provider ids into it (e.g. "site/deploy"). */
  providerId: string;
  status: DeploymentStatus;
  /** The public URL (https://…) once known. */
  url: string | null;
  /** The provider's short reason for a failure, when it gives one. */
  errorMessage?: string;
}

export interface DeployProviderClient {
  readonly provider: DeploymentProvider;
  create(input: CreateDeploymentInput): Promise<ProviderDeploymentState>;
  status(token: string, providerId: string, signal?: AbortSignal): Promise<ProviderDeploymentState>;
  /** Build/deploy log lines as plain text (may be empty when the provider has none). */
  logs(token: string, providerId: string, signal?: AbortSignal): Promise<string>;
  cancel(token: string, providerId: string, signal?: AbortSignal): Promise<void>;
}

/**
 * A provider call that failed. `retryable` is true for 429, 5xx and network
 * errors (the poller backs off and tries again); false for 4xx such as a
 * rejected token (401/403) or a bad request. The message never contains the token.
 */
export class DeployProviderError extends Error {
  constructor(
    readonly provider: DeploymentProvider,
    message: string,
    readonly options: { status?: number; retryable: boolean; code?: "unauthorized" | "not_found" | "rate_limited" | "bad_request" | "unavailable" },
  ) {
    super(message);
    this.name = "DeployProviderError";
  }

  get retryable(): boolean {
    return this.options.retryable;
  }
}
