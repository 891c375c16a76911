import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as addEndpointRoute } from "@/app/api/endpoints/route";
import { POST as estimateRoute } from "@/app/api/generations/estimate/route";
import { GET as eventsRoute } from "@/app/api/generations/[runId]/events/route";
import { POST as startRoute } from "@/app/api/generations/route";
import { GET as modelsRoute } from "@/app/api/models/route";
import { GET as projectRoute } from "@/app/api/projects/[id]/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { reloadCatalogForTests } from "@/lib/ai/catalog";
import { setLocalServerAddressesForTests } from "@/lib/ai/local-models";
import type { ModelList, ModelOption } from "@/lib/ai/model-options";
import { liveRuns } from "@/lib/ai/runs/registry";
import { getStore } from "@/lib/store";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";
import { TRANSCRIPTS } from "../fixtures/llm-server/scripts/todo-app";
import { SseReader } from "./generation-helpers";
import { authed, signUp, withTestApp, type SignedUp } from "./support/app";

/**
 * Picking a model, through the routes: the models a user's endpoint lists appear in the picker, a
 * run picked on one is served by it with the user's key and costs no credits, the pick is
 * remembered by the project, and what is not offered is refused. Then the trial: with the catalog
 * this repository ships, the platform's default model prices the todo app so that the 100 free
 * credits pay for at least two. Last, models found on this machine when nothing is configured.
 */

const ENCRYPTION_KEY = randomBytes(32).toString("hex");
const USER_KEY = "sk-my-own-gateway-key-0123456789-LAST";
const TODO_PROMPT = "A small todo app with a Node.js server and an in-memory API.";

let platform: LlmServer;
let mine: LlmServer;

beforeAll(async () => {
  platform = await startLlmServer({ script: { roles: TRANSCRIPTS } });
  mine = await startLlmServer({ script: { roles: TRANSCRIPTS }, models: ["coder-mine-32b", "coder-mine-7b"], apiKey: USER_KEY });
});
afterAll(async () => {
  await Promise.all([platform.close(), mine.close()]);
});
beforeEach(() => {
  platform.reset();
  mine.reset();
});
afterEach(async () => {
  await Promise.all(liveRuns().map((run) => run.finished));
});

async function models(cookie: string): Promise<ModelList> {
  const response = await modelsRoute(authed("GET", "/api/models", cookie), undefined);
  expect(response.status).toBe(200);
  return response.json();
}

let projects = 0;
async function createProject(cookie: string): Promise<string> {
  projects += 1;
  const response = await createProjectRoute(authed("POST", "/api/projects", cookie, { name: `Tiny Todo ${projects}` }), undefined);
  expect(response.status).toBe(201);
  return (await response.json()).project.id;
}

async function generate(cookie: string, projectId: string, model?: string): Promise<{ spent: number }> {
  const started = await startRoute(authed("POST", "/api/generations", cookie, { projectId, prompt: TODO_PROMPT, ...(model ? { model } : {}) }), undefined);
  expect(started.status, await started.clone().text()).toBe(202);
  const { runId } = await started.json();
  const frames = await new SseReader(await eventsRoute(authed("GET", `/api/generations/${runId}/events`, cookie), { params: Promise.resolve({ runId }) })).readToEnd();
  const last = frames.at(-1)!.data as { type: string; spent: number };
  expect(last.type, JSON.stringify(last)).toBe("done");
  return last;
}

async function estimate(cookie: string, model?: string): Promise<{ estimate: number; model: string }> {
  const response = await estimateRoute(authed("POST", "/api/generations/estimate", cookie, { prompt: TODO_PROMPT, ...(model ? { model } : {}) }), undefined);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

const balanceOf = async (user: SignedUp) => (await getStore()).getBalance(user.userId);
const chatRequests = (server: LlmServer) => server.requests.filter((r) => r.chatRequest !== null);

describe("a user's own endpoint, picked in the model picker", () => {
  const app = withTestApp({});
  beforeAll(async () => {
    await app.reopen({
      JOXCODER_API_URL: platform.url,
      JOXCODER_MODEL: "jox-test",
      AI_ENDPOINT_ALLOWED_PRIVATE: "127.0.0.1",
      AUTOCREA_ENCRYPTION_KEY: ENCRYPTION_KEY,
    });
  });

  it("lists the models its /models answered, runs on it with the user's key for 0 credits, and remembers the pick", async () => {
    const user = await signUp();
    const added = await addEndpointRoute(authed("POST", "/api/endpoints", user.cookie, { name: "My gateway", baseUrl: mine.url, apiKey: USER_KEY }), undefined);
    expect(added.status, await added.clone().text()).toBe(201);

    const list = await models(user.cookie);
    const own = list.models.filter((m) => m.source === "endpoint");
    expect(own.map((m) => m.model)).toEqual(["coder-mine-32b", "coder-mine-7b"]);
    expect(own[0]).toMatchObject({ label: "coder-mine-32b", providerLabel: "My gateway", price: null });
    const platformModel = list.models.find((m) => m.source === "platform") as ModelOption;
    expect(platformModel).toMatchObject({ model: "jox-test", providerLabel: "JoxCoder", price: { input: 0.5, output: 2 } });

    // Estimates follow the pick: the user's own endpoint reserves (almost) nothing, the platform's model its price.
    const onPlatform = await estimate(user.cookie, platformModel.id);
    const onMine = await estimate(user.cookie, own[1].id);
    expect(onPlatform).toMatchObject({ model: "jox-test" });
    expect(onPlatform.estimate).toBeGreaterThan(10);
    expect(onMine).toEqual({ estimate: 1, available: 100, model: "coder-mine-7b" });

    const projectId = await createProject(user.cookie);
    const done = await generate(user.cookie, projectId, own[1].id);
    expect(done.spent).toBe(0);
    expect(await balanceOf(user)).toBe(100);
    expect(chatRequests(platform)).toHaveLength(0);
    const served = chatRequests(mine);
    expect(served.length).toBeGreaterThanOrEqual(5);
    for (const request of served) {
      expect(request.headers.authorization).toBe("Bearer ****LAST");
      expect((request.body as { model: string }).model).toBe("coder-mine-7b");
    }

    // The project remembers the pick; the next run without `model` uses it.
    const project = await (await projectRoute(authed("GET", `/api/projects/${projectId}`, user.cookie), { params: Promise.resolve({ id: projectId }) })).json();
    expect(project.project.model).toBe(own[1].id);
    mine.reset();
    expect((await generate(user.cookie, projectId)).spent).toBe(0);
    expect(chatRequests(mine).length).toBeGreaterThanOrEqual(5);
    expect(chatRequests(platform)).toHaveLength(0);
  });

  it("refuses a model nobody offers this user, and another user's endpoint", async () => {
    const owner = await signUp();
    const added = await addEndpointRoute(authed("POST", "/api/endpoints", owner.cookie, { name: "Mine", baseUrl: mine.url, apiKey: USER_KEY }), undefined);
    const ownModel = (await models(owner.cookie)).models.find((m) => m.source === "endpoint")!;
    expect(added.status).toBe(201);

    const other = await signUp();
    const projectId = await createProject(other.cookie);
    for (const model of [ownModel.id, "platform:openai:gpt-4o", "nonsense"]) {
      const response = await startRoute(authed("POST", "/api/generations", other.cookie, { projectId, prompt: TODO_PROMPT, model }), undefined);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "unknown_model", field: "model" });
    }
    expect(chatRequests(mine)).toHaveLength(0);
    expect(await balanceOf(other)).toBe(100);
  });

  it("refuses an endpoint on a private address the operator did not allow", async () => {
    const user = await signUp();
    for (const baseUrl of ["http://10.0.0.7:8000/v1", "http://169.254.169.254/latest", "http://[fd00::1]/v1"]) {
      const response = await addEndpointRoute(authed("POST", "/api/endpoints", user.cookie, { name: "Inside", baseUrl, models: ["x"] }), undefined);
      expect(response.status, baseUrl).toBe(400);
      expect(await response.json()).toMatchObject({ error: "endpoint_refused" });
    }
    expect((await models(user.cookie)).models.filter((m) => m.source === "endpoint")).toEqual([]);
  });
});

describe("the free trial, with the catalog this repository ships", () => {
  const app = withTestApp({});
  afterAll(() => reloadCatalogForTests());

  for (const jox of ["joxcoder", "joxcoder-33b-v1"]) {
    it(`pays for at least two todo apps on the platform's default model (JOXCODER_MODEL=${jox})`, async () => {
      await app.reopen({ JOXCODER_API_URL: platform.url, JOXCODER_MODEL: jox, AI_MODELS_FILE: path.resolve("config/ai-models.json") });
      reloadCatalogForTests();
      const user = await signUp();
      const list = await models(user.cookie);
      expect(list.defaultId).toBe(`platform:joxcoder:${jox}`);

      const first = await estimate(user.cookie);
      expect(first.model).toBe(jox);
      expect(first.estimate).toBeLessThanOrEqual(50);

      // At the token counts the scripted run really reports, two generations fit in the trial.
      const spent = [];
      for (let i = 0; i < 2; i++) spent.push((await generate(user.cookie, await createProject(user.cookie))).spent);
      expect(spent.every((s) => s > 0 && s <= first.estimate)).toBe(true);
      expect(await balanceOf(user)).toBe(100 - spent[0] - spent[1]);
      expect(await balanceOf(user)).toBeGreaterThanOrEqual(0);
    });
  }

  it("prices every platform provider's default model under 50 credits for the todo app", async () => {
    const providers: Record<string, string> = {
      OPENAI_API_KEY: "openai",
      ANTHROPIC_API_KEY: "anthropic",
      GOOGLE_GENERATIVE_AI_API_KEY: "google",
      MISTRAL_API_KEY: "mistral",
      GROQ_API_KEY: "groq",
      DEEPSEEK_API_KEY: "deepseek",
    };
    for (const [variable, provider] of Object.entries(providers)) {
      await app.reopen({ [variable]: "sk-platform-not-called", AI_MODELS_FILE: path.resolve("config/ai-models.json") });
      reloadCatalogForTests();
      const user = await signUp();
      const { defaultId } = await models(user.cookie);
      expect(defaultId?.startsWith(`platform:${provider}:`), `${provider}: ${defaultId}`).toBe(true);
      const { estimate: credits } = await estimate(user.cookie);
      expect(credits, `${provider}'s default model`).toBeLessThanOrEqual(50);
    }
  });
});

describe("models on this machine, found when nothing is configured", () => {
  const app = withTestApp({});
  afterAll(() => setLocalServerAddressesForTests());

  it("offers an LM Studio server's models, priced by the catalog, and runs on them", async () => {
    await app.reopen({ LOCAL_MODELS: "auto" });
    const lmStudio = await startLlmServer({ script: { roles: TRANSCRIPTS }, models: ["qwen3-coder-30b-a3b"] });
    try {
      setLocalServerAddressesForTests({ lmstudio: lmStudio.url, ollama: "http://127.0.0.1:9" });
      const user = await signUp();
      const list = await models(user.cookie);
      expect(list.models).toEqual([
        {
          id: "platform:lmstudio:qwen3-coder-30b-a3b",
          model: "qwen3-coder-30b-a3b",
          label: "qwen3-coder-30b-a3b",
          providerLabel: "LM Studio (this machine)",
          source: "platform",
          price: { input: 0.01, output: 0.02 },
        },
      ]);
      expect(list.defaultId).toBe("platform:lmstudio:qwen3-coder-30b-a3b");
      const done = await generate(user.cookie, await createProject(user.cookie));
      expect(done.spent).toBeGreaterThan(0);
      expect(chatRequests(lmStudio).length).toBeGreaterThanOrEqual(5);

      // Turned off, or nothing listening: no model, and the sentence that says where to add one.
      await app.reopen({ LOCAL_MODELS: "off" });
      setLocalServerAddressesForTests({ lmstudio: lmStudio.url });
      const other = await signUp();
      expect(await models(other.cookie)).toEqual({ models: [], defaultId: null });
      const refused = await estimateRoute(authed("POST", "/api/generations/estimate", other.cookie, { prompt: TODO_PROMPT }), undefined);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: "no_provider", message: "No AI model is available yet: add a key or your own endpoint in Settings." });
    } finally {
      await lmStudio.close();
    }
  });
});
