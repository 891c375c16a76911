import type { Env } from "@/lib/env";
import { log } from "@/lib/log";
import type { Store } from "@/lib/store";

export type LlmMode = "joxcoder" | "openai" | "anthropic" | "ollama" | "none";

export interface HealthReport {
  status: "ok" | "degraded";
  modes: {
    store: Env["storeMode"];
    auth: Env["authMode"];
    payments: Env["paymentsMode"];
    llm: LlmMode;
    runner: "configured" | "not configured";
  };
  store: { ok: boolean };
}

/** The platform provider the app would use first (the order of lib/ai/providers.ts); users' own keys are not counted. */
export function llmMode(e: Env): LlmMode {
  if (e.JOXCODER_API_URL) return "joxcoder";
  if (e.OPENAI_API_KEY) return "openai";
  if (e.ANTHROPIC_API_KEY) return "anthropic";
  if (e.OLLAMA_BASE_URL) return "ollama";
  return "none";
}

/** Reports modes (never values) and whether the store answers a trivial read. */
export async function checkHealth(e: Env, openStore: () => Promise<Store>): Promise<HealthReport> {
  let storeOk = false;
  try {
    const store = await openStore();
    await store.getUser("health-check");
    storeOk = true;
  } catch (err) {
    log.error({ err }, "health: store check failed");
  }
  return {
    status: storeOk ? "ok" : "degraded",
    modes: {
      store: e.storeMode,
      auth: e.authMode,
      payments: e.paymentsMode,
      llm: llmMode(e),
      runner: e.RUNNER_URL && e.RUNNER_SECRET ? "configured" : "not configured",
    },
    store: { ok: storeOk },
  };
}
