import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkHealth, llmMode } from "@/lib/health";
import { loadEnv } from "@/lib/env";
import { createSqliteStore } from "@/lib/store/sqlite";
import type { Store } from "@/lib/store";

const dataDir = mkdtempSync(path.join(tmpdir(), "autocrea-health-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("health", () => {
  it("reports modes and a responsive store, without any secret values", async () => {
    const e = loadEnv({
      DATA_DIR: dataDir,
      OPENAI_API_KEY: "sk-secret-openai",
      RUNNER_URL: "http://runner.internal:4000",
      RUNNER_SECRET: "runner-secret-value",
      STRIPE_SECRET_KEY: "sk_test_stripe_secret",
    });
    const store = await createSqliteStore(path.join(dataDir, "health.db"));
    const report = await checkHealth(e, async () => store);
    await store.close();

    expect(report).toEqual({
      status: "ok",
      modes: { store: "sqlite", auth: "local", payments: "stripe", llm: "openai", runner: "configured" },
      store: { ok: true },
    });
    const text = JSON.stringify(report);
    for (const secret of ["sk-secret-openai", "runner-secret-value", "sk_test_stripe_secret", "runner.internal"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("says degraded when the store does not answer", async () => {
    const failing = async (): Promise<Store> => {
      throw new Error("database is locked");
    };
    const report = await checkHealth(loadEnv({}), failing);
    expect(report.status).toBe("degraded");
    expect(report.store.ok).toBe(false);
    expect(report.modes.runner).toBe("not configured");
  });

  it("picks the LLM mode in the platform's order of preference", () => {
    expect(llmMode(loadEnv({}))).toBe("none");
    expect(llmMode(loadEnv({ OLLAMA_BASE_URL: "http://localhost:11434" }))).toBe("ollama");
    expect(llmMode(loadEnv({ OLLAMA_BASE_URL: "http://localhost:11434", ANTHROPIC_API_KEY: "a" }))).toBe("anthropic");
    expect(llmMode(loadEnv({ ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o" }))).toBe("openai");
    expect(llmMode(loadEnv({ OPENAI_API_KEY: "o", JOXCODER_API_URL: "https://jox.example/v1" }))).toBe("joxcoder");
  });
});
