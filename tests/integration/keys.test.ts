import path from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { DELETE as deleteKey } from "@/app/api/keys/[provider]/route";
import { POST as testKey } from "@/app/api/keys/[provider]/test/route";
import { GET as listKeys, POST as saveKey } from "@/app/api/keys/route";
import { captureLogsForTests } from "@/lib/log";
import { decryptSecret } from "@/lib/secrets/crypto";
import { readUserKey, userKeyProviders } from "@/lib/secrets/user-keys";
import { APP_URL, authed } from "./support/app";
import { ENCRYPTION_KEY, withAiTestApp } from "./ai-test-app";

const OPENAI_KEY = "sk-user-test-0123456789abcdef-WXYZ";
const params = (provider: string) => ({ params: Promise.resolve({ provider }) });

const app = withAiTestApp();
beforeEach(() => {
  app.setEnv({ AUTOCREA_ENCRYPTION_KEY: ENCRYPTION_KEY.toString("hex") });
});

async function save(cookie: string, body: unknown) {
  return saveKey(authed("POST", "/api/keys", cookie, body), undefined);
}

describe("users' API keys", () => {
  it("stores a key encrypted and shows only its last 4 characters", async () => {
    const { cookie, userId } = await app.signUp();
    const created = await save(cookie, { provider: "openai", apiKey: OPENAI_KEY });
    expect(created.status).toBe(201);
    const createdText = await created.text();
    expect(createdText).not.toContain(OPENAI_KEY);
    expect(JSON.parse(createdText)).toEqual({ key: { provider: "openai", last4: "WXYZ", createdAt: expect.any(Number) } });

    const listed = await listKeys(authed("GET", "/api/keys", cookie), undefined);
    expect(listed.status).toBe(200);
    const listedText = await listed.text();
    expect(listedText).not.toContain(OPENAI_KEY);
    expect(listedText).not.toContain("ciphertext");
    expect(JSON.parse(listedText)).toEqual({ keys: [{ provider: "openai", last4: "WXYZ", createdAt: expect.any(Number) }] });

    const db = new Database(path.join(app.dataDir, "autocrea.db"), { readonly: true });
    try {
      const row = db.prepare("SELECT * FROM api_keys WHERE user_id = ?").get(userId) as Record<string, unknown>;
      expect(JSON.stringify(row)).not.toContain(OPENAI_KEY);
      expect(row.ciphertext).toMatch(/^v1:/);
      expect(decryptSecret(row.ciphertext as string, { key: ENCRYPTION_KEY, context: `apikey:${userId}:openai` })).toBe(OPENAI_KEY);
    } finally {
      db.close();
    }
  });

  it("replaces the key for the same provider and keeps users apart", async () => {
    const alice = await app.signUp();
    const bob = await app.signUp();
    await save(alice.cookie, { provider: "openai", apiKey: "sk-first-key-1111" });
    await save(alice.cookie, { provider: "openai", apiKey: "sk-second-key-2222" });
    await save(alice.cookie, { provider: "anthropic", apiKey: "sk-ant-key-3333" });
    const aliceKeys = await (await listKeys(authed("GET", "/api/keys", alice.cookie), undefined)).json();
    expect(aliceKeys.keys.map((k: { provider: string; last4: string }) => [k.provider, k.last4])).toEqual([
      ["anthropic", "3333"],
      ["openai", "2222"],
    ]);
    const bobKeys = await (await listKeys(authed("GET", "/api/keys", bob.cookie), undefined)).json();
    expect(bobKeys.keys).toEqual([]);
    expect((await deleteKey(authed("DELETE", "/api/keys/openai", bob.cookie), params("openai"))).status).toBe(404);
  });

  it("deletes a key", async () => {
    const { cookie } = await app.signUp();
    await save(cookie, { provider: "anthropic", apiKey: "sk-ant-delete-me-9999" });
    const deleted = await deleteKey(authed("DELETE", "/api/keys/anthropic", cookie), params("anthropic"));
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: true, provider: "anthropic" });
    expect((await (await listKeys(authed("GET", "/api/keys", cookie), undefined)).json()).keys).toEqual([]);
    const again = await deleteKey(authed("DELETE", "/api/keys/anthropic", cookie), params("anthropic"));
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: "not_found" });
  });

  it("stores deploy and Git tokens beside LLM keys, without offering them as LLM providers", async () => {
    const { cookie, userId } = await app.signUp();
    const vercelToken = "vercel-token-0123456789-ABCD";
    const githubToken = "ghp_githubtoken0123456789-EFGH";
    expect((await save(cookie, { provider: "vercel", apiKey: vercelToken })).status).toBe(201);
    expect((await save(cookie, { provider: "github", apiKey: githubToken })).status).toBe(201);
    const listedText = await (await listKeys(authed("GET", "/api/keys", cookie), undefined)).text();
    expect(listedText).not.toContain(vercelToken);
    expect(JSON.parse(listedText).keys.map((k: { provider: string; last4: string }) => [k.provider, k.last4])).toEqual([
      ["github", "EFGH"],
      ["vercel", "ABCD"],
    ]);
    expect(await readUserKey(userId, "vercel")).toBe(vercelToken);
    expect(await userKeyProviders(userId)).toEqual([]);
    const test = await testKey(authed("POST", "/api/keys/vercel/test", cookie), params("vercel"));
    expect(test.status).toBe(404);
  });

  it("rejects bad input with 400 JSON", async () => {
    const { cookie } = await app.signUp();
    for (const body of [
      { provider: "joxcoder", apiKey: "sk-abcdefgh" },
      { provider: "openai", apiKey: "short" },
      { provider: "openai", apiKey: "sk-has spaces-inside" },
      { provider: "openai" },
      "not json",
    ]) {
      const response = await save(cookie, body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
  });

  it("refuses to store keys with 503 when the server has no encryption key", async () => {
    const { cookie } = await app.signUp();
    app.setEnv({ AUTOCREA_ENCRYPTION_KEY: undefined });
    const response = await save(cookie, { provider: "openai", apiKey: OPENAI_KEY });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "encryption_unavailable", message: expect.stringMatching(/AUTOCREA_ENCRYPTION_KEY/) });
    app.setEnv({ AUTOCREA_ENCRYPTION_KEY: ENCRYPTION_KEY.toString("hex") });
    expect((await (await listKeys(authed("GET", "/api/keys", cookie), undefined)).json()).keys).toEqual([]);
  });

  it("requires a session and refuses cross-site writes", async () => {
    expect((await listKeys(new Request(new URL("/api/keys", APP_URL)), undefined)).status).toBe(401);
    const { cookie } = await app.signUp();
    const crossSite = await saveKey(
      authed("POST", "/api/keys", cookie, { provider: "openai", apiKey: OPENAI_KEY }, { origin: "https://evil.example" }),
      undefined,
    );
    expect(crossSite.status).toBe(403);
  });
});

describe("POST /api/keys/:provider/test", () => {
  it("makes a real call with the user's key and reports ok", async () => {
    const { cookie } = await app.signUp();
    await save(cookie, { provider: "openai", apiKey: OPENAI_KEY });
    app.openai.setScript({ fallback: "ok" });
    const response = await testKey(authed("POST", "/api/keys/openai/test", cookie), params("openai"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, provider: "openai", model: "gpt-4o-mini" });
    expect(app.openai.requests).toHaveLength(1);
    expect(app.openai.requests[0].headers.authorization).toBe(`Bearer ****${OPENAI_KEY.slice(-4)}`);
    expect(app.jox.requests).toHaveLength(0);
  });

  it("says why the key failed in a sentence; the provider's own text goes to the server log only, without the key", async () => {
    const { cookie } = await app.signUp();
    await save(cookie, { provider: "openai", apiKey: OPENAI_KEY });
    app.openai.setFault({ fault: { kind: "status", status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}.` } });
    const logged = captureLogsForTests("debug");
    let text: string;
    try {
      const response = await testKey(authed("POST", "/api/keys/openai/test", cookie, undefined, { "x-request-id": "key-test-1" }), params("openai"));
      expect(response.status).toBe(200);
      text = await response.text();
    } finally {
      logged.restore();
    }
    expect(text).not.toContain(OPENAI_KEY);
    expect(text).not.toContain("Incorrect API key");
    expect(JSON.parse(text)).toEqual({
      ok: false,
      provider: "openai",
      model: "gpt-4o-mini",
      error: "OpenAI refused the API key (HTTP 401).",
    });
    expect(logged.lines.join("")).not.toContain(OPENAI_KEY);
    expect(logged.entries().find((entry) => entry.msg === "AI call failed")).toMatchObject({
      level: "warn",
      requestId: "key-test-1",
      provider: "openai",
      model: "gpt-4o-mini",
      source: "user",
      status: 401,
      code: "http_401",
      error: "http_401: Incorrect API key provided: [redacted].",
    });
  });

  it("answers 404 for a provider without a stored key", async () => {
    const { cookie } = await app.signUp();
    for (const provider of ["openai", "nonsense"]) {
      const response = await testKey(authed("POST", `/api/keys/${provider}/test`, cookie), params(provider));
      expect(response.status).toBe(404);
    }
    expect(app.openai.requests).toHaveLength(0);
  });
});
