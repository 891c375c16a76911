import type { LimitOptions } from "@/lib/rate-limit";

/** Starting (or retrying) deployments, per user: each one uploads the whole project to a provider. */
export const DEPLOY_RATE_LIMIT: LimitOptions = { max: 10, windowMs: 10 * 60_000 };
