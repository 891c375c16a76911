import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as saveKey } from "@/app/api/keys/route";
import { defaultModelOf } from "@/lib/ai/catalog";
import { resolveCandidates } from "@/lib/ai/model-choice";
import { languageModelFor, NoProviderError, secretsFor } from "@/lib/ai/providers";
import { startAiTestApp, type AiTestApp } from "./ai-test-app";
import { authed } from "./support/app";

let app: AiTestApp;
beforeAll(async () => {
  app = await startAiTestApp();
});
afterAll(async () => {
  await app.cleanup();
});

async function addKey(cookie: string, provider: string, apiKey: string) {
  expect((await saveKey(authed("POST", "/api/keys", cookie, { provider, apiKey }), undefined)).status).toBe(201);
}

describe("resolveCandidates", () => {
  it("puts the user's own keys first, then the platform in the fixed order", async () => {
    const { cookie, userId } = await app.signUp();
    app.setEnv({ OPENAI_API_KEY: "sk-platform", ANTHROPIC_API_KEY: "sk-ant-platform", OLLAMA_BASE_URL: "http://127.0.0.1:11434" });
    try {
      expect(await resolveCandidates(userId)).toEqual([
        { provider: "joxcoder", model: "jox-test", source: "platform" },
        { provider: "openai", model: "gpt-4o-mini", source: "platform" },
        { provider: "anthropic", model: "claude-haiku-4-5", source: "platform" },
        { provider: "ollama", model: "qwen2.5-coder:7b", source: "platform" },
      ]);
      await addKey(cookie, "anthropic", "sk-ant-user-1234");
      await addKey(cookie, "openai", "sk-openai-user-5678");
      const candidates = await resolveCandidates(userId);
      expect(candidates.map((c) => `${c.source}:${c.provider}`)).toEqual([
        "user:openai",
        "user:anthropic",
        "platform:joxcoder",
        "platform:openai",
        "platform:anthropic",
        "platform:ollama",
      ]);
      // A candidate never carries a key.
      expect(JSON.stringify(candidates)).not.toMatch(/sk-/);
    } finally {
      app.setEnv({ OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined, OLLAMA_BASE_URL: undefined });
    }
  });

  it("puts the picked model first, the other services' defaults after it (only the user's own after their own), and refuses a model not offered", async () => {
    const { cookie, userId } = await app.signUp();
    await addKey(cookie, "openai", "sk-openai-user-5678");
    expect(await resolveCandidates(userId, { model: "platform:joxcoder:jox-test" })).toEqual([
      { provider: "joxcoder", model: "jox-test", source: "platform" },
      { provider: "openai", model: "gpt-4o-mini", source: "user" },
    ]);
    // Their own model falls back to nothing of the platform's: no credits spent they did not choose.
    expect(await resolveCandidates(userId, { model: "user:openai:gpt-4o" })).toEqual([{ provider: "openai", model: "gpt-4o", source: "user" }]);
    // The platform has no OpenAI key: its models are not offered.
    for (const model of ["platform:openai:gpt-4o", "user:openai:made-up", "made-up", "user:anthropic:claude-haiku-4-5"]) {
      await expect(resolveCandidates(userId, { model })).rejects.toMatchObject({ status: 400, code: "unknown_model" });
    }
    // A remembered pick that is no longer offered is ignored.
    expect((await resolveCandidates(userId, { remembered: "user:anthropic:claude-haiku-4-5" }))[0]).toEqual({ provider: "openai", model: "gpt-4o-mini", source: "user" });
    expect((await resolveCandidates(userId, { remembered: "user:openai:gpt-4o" }))[0]).toEqual({ provider: "openai", model: "gpt-4o", source: "user" });
  });

  it("throws NoProviderError (503) when neither the user nor the platform has a provider", async () => {
    const { userId } = await app.signUp();
    const url = app.jox.url;
    app.setEnv({ JOXCODER_API_URL: undefined });
    try {
      await expect(resolveCandidates(userId)).rejects.toBeInstanceOf(NoProviderError);
    } finally {
      app.setEnv({ JOXCODER_API_URL: url });
    }
  });
});

describe("secretsFor / languageModelFor", () => {
  it("decrypts the user's key at call time and points each provider at its endpoint", async () => {
    const { cookie, userId } = await app.signUp();
    await addKey(cookie, "openai", "sk-openai-user-5678");
    expect(await secretsFor({ provider: "openai", model: "gpt-4o-mini", source: "user" }, userId)).toEqual({
      apiKey: "sk-openai-user-5678",
      baseURL: app.openai.url,
    });
    expect(await secretsFor({ provider: "joxcoder", model: "jox-test", source: "platform" })).toEqual({
      apiKey: "jox-platform-key",
      baseURL: app.jox.url,
    });
    await expect(secretsFor({ provider: "anthropic", model: "claude-haiku-4-5", source: "user" }, userId)).rejects.toThrow(/No stored API key/);

    app.setEnv({ OLLAMA_BASE_URL: "http://127.0.0.1:11434/" });
    try {
      const ollama = { provider: "ollama" as const, model: defaultModelOf("ollama")!, source: "platform" as const };
      expect(await secretsFor(ollama)).toEqual({ baseURL: "http://127.0.0.1:11434/api" });
      const model = languageModelFor(ollama, await secretsFor(ollama));
      expect(typeof model === "object" && model.modelId).toBe("qwen2.5-coder:7b");
    } finally {
      app.setEnv({ OLLAMA_BASE_URL: undefined });
    }
  });
});
