import { env, type Env } from "@/lib/env";
import { createRunnerClient, type RunnerClient } from "./client";

export * from "./client";
export type * from "./types";

let cached: { key: string; client: RunnerClient } | undefined;

/**
 * The runner client for this server's env. Throws RunnerUnavailableError
 * ("not_configured", a 503 for route handlers) when RUNNER_URL or
 * RUNNER_SECRET is unset.
 */
export function runnerClient(e: Env = env()): RunnerClient {
  const key = `${e.RUNNER_URL ?? ""}\u0000${e.RUNNER_SECRET ?? ""}\u0000${e.RUNNER_PUBLIC_URL ?? ""}`;
  if (cached?.key !== key) {
    cached = {
      key,
      client: createRunnerClient({
        url: e.RUNNER_URL ?? "",
        secret: e.RUNNER_SECRET ?? "",
        publicUrl: e.RUNNER_PUBLIC_URL,
      }),
    };
  }
  return cached.client;
}
