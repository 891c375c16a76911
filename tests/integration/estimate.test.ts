import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as estimateRoute } from "@/app/api/generations/estimate/route";
import { POST as startRoute } from "@/app/api/generations/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { plannedRoles } from "@/lib/ai/runs/pipeline";
import { estimateRunCredits } from "@/lib/ai/pricing";
import { liveRuns } from "@/lib/ai/runs/registry";
import { resetEnvForTests } from "@/lib/env";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { APP_URL, authed, jsonPost, openTestApp, signUp } from "./support/app";

/**
 * POST /api/generations/estimate: what a run would reserve, shown before it
 * starts. The numbers must be lib/ai/pricing's, and the same as the start
 * route reserves.
 */

const AI_KEYS = ["JOXCODER_API_URL", "JOXCODER_API_KEY", "JOXCODER_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_BASE_URL", "RUNNER_URL", "RUNNER_SECRET"] as const;
const env = process.env as Record<string, string | undefined>;
const savedEnv = Object.fromEntries(AI_KEYS.map((k) => [k, env[k]]));
/** Nothing listens here: the estimate never calls a provider. */
const UNREACHABLE_LLM = "http://127.0.0.1:9/v1";

let cleanup: () => Promise<void>;

beforeAll(async () => {
  for (const key of AI_KEYS) delete env[key];
  cleanup = await openTestApp({ JOXCODER_API_URL: UNREACHABLE_LLM });
});

afterAll(async () => {
  await cleanup();
  for (const key of AI_KEYS) {
    if (savedEnv[key] === undefined) delete env[key];
    else env[key] = savedEnv[key];
  }
  resetEnvForTests();
});

beforeEach(() => resetRateLimitsForTests());

afterEach(async () => {
  delete env.ANTHROPIC_API_KEY;
  delete env.RUNNER_URL;
  delete env.RUNNER_SECRET;
  env.JOXCODER_API_URL = UNREACHABLE_LLM;
  resetEnvForTests();
  await Promise.all(liveRuns().map((run) => run.finished));
});

const estimate = (cookie: string, body: unknown) => estimateRoute(authed("POST", "/api/generations/estimate", cookie, body), undefined);

function expected(prompt: string, model: string, hasRunner = false): number {
  const provider = model === "joxcoder" ? "joxcoder" : "anthropic";
  return Math.max(1, estimateRunCredits({ roles: plannedRoles(hasRunner), promptChars: prompt.length, model: { provider, model } }));
}

describe("POST /api/generations/estimate", () => {
  it("needs a signed-in user and a same-origin request", async () => {
    const anonymous = await estimateRoute(jsonPost("/api/generations/estimate", { prompt: "A todo app" }, { origin: APP_URL }), undefined);
    expect(anonymous.status).toBe(401);

    const { cookie } = await signUp();
    const crossSite = await estimateRoute(
      jsonPost("/api/generations/estimate", { prompt: "A todo app" }, { origin: "https://evil.example", cookie }),
      undefined,
    );
    expect(crossSite.status).toBe(403);
  });

  it("answers the pricing module's estimate for the first platform model, with the balance", async () => {
    const { cookie } = await signUp();
    const prompt = "A todo app with due dates, tags and a weekly review screen.";
    const response = await estimate(cookie, { prompt });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({ estimate: expected(prompt, "joxcoder"), available: 100, model: "joxcoder" });
    expect(body.estimate).toBeGreaterThan(1);

    // A longer prompt is read by every step: it costs more.
    const longer = await (await estimate(cookie, { prompt: prompt.repeat(200) })).json();
    expect(longer.estimate).toBe(expected(prompt.repeat(200), "joxcoder"));
    expect(longer.estimate).toBeGreaterThan(body.estimate);
  });

  it("covers a fallback to the dearest platform model", async () => {
    env.ANTHROPIC_API_KEY = "sk-ant-test-not-used";
    resetEnvForTests();
    const { cookie } = await signUp();
    const prompt = "A recipe box";
    const body = await (await estimate(cookie, { prompt })).json();
    expect(body.model).toBe("joxcoder");
    expect(body.estimate).toBe(expected(prompt, "claude-haiku-4-5"));
    expect(body.estimate).toBeGreaterThan(expected(prompt, "joxcoder"));
  });

  it("includes the tester and fixer passes when a code runner is configured", async () => {
    env.RUNNER_URL = "http://127.0.0.1:9";
    env.RUNNER_SECRET = "test-runner-secret-not-used";
    resetEnvForTests();
    const { cookie } = await signUp();
    const prompt = "A recipe box";
    const body = await (await estimate(cookie, { prompt })).json();
    expect(body.estimate).toBe(expected(prompt, "joxcoder", true));
    expect(body.estimate).toBeGreaterThan(expected(prompt, "joxcoder", false));
  });

  it("is what starting the run then reserves", async () => {
    const { cookie } = await signUp();
    const created = await createProjectRoute(authed("POST", "/api/projects", cookie, { name: "Estimate match" }), undefined);
    const { project } = await created.json();
    const prompt = "A habit tracker with streaks";
    const { estimate: shown } = await (await estimate(cookie, { prompt })).json();

    const started = await startRoute(authed("POST", "/api/generations", cookie, { projectId: project.id, prompt }), undefined);
    expect(started.status).toBe(202);
    const body = await started.json();
    expect(body.estimate).toBe(shown);
    expect(body.reserved).toBe(shown);
  });

  it("refuses bad input with a 400 and a message", async () => {
    const { cookie } = await signUp();
    for (const body of [{}, { prompt: "" }, { prompt: "   " }, { prompt: 42 }, { prompt: "x".repeat(20_001) }, { prompt: "ok", extra: 1 }]) {
      const response = await estimate(cookie, body);
      expect(response.status).toBe(400);
      const json = await response.json();
      expect(json.error).toBeTruthy();
      expect(typeof json.message).toBe("string");
    }
    const malformed = await estimateRoute(
      new Request(new URL("/api/generations/estimate", APP_URL), {
        method: "POST",
        headers: { origin: APP_URL, cookie, "content-type": "application/json" },
        body: "{not json",
      }),
      undefined,
    );
    expect(malformed.status).toBe(400);
  });

  it("says 503 no_provider when no AI provider is configured", async () => {
    delete env.JOXCODER_API_URL;
    resetEnvForTests();
    const { cookie } = await signUp();
    const response = await estimate(cookie, { prompt: "A todo app" });
    expect(response.status).toBe(503);
    expect((await response.json()).error).toBe("no_provider");
  });
});
