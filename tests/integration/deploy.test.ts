import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as statsRoute } from "@/app/api/deployments/stats/route";
import { POST as cancelRoute } from "@/app/api/projects/[id]/deployments/[deploymentId]/cancel/route";
import { POST as retryRoute } from "@/app/api/projects/[id]/deployments/[deploymentId]/retry/route";
import { GET as getRoute } from "@/app/api/projects/[id]/deployments/[deploymentId]/route";
import { GET as listRoute, POST as deployRoute } from "@/app/api/projects/[id]/deployments/route";
import { POST as saveKeyRoute } from "@/app/api/keys/route";
import { deploymentPoller } from "@/lib/deploy/background";
import { setDeployClientOptionsForTests } from "@/lib/deploy/connection";
import type { DeploymentStats, PublicDeployment } from "@/lib/deploy/service";
import type { DeployProviderSummary } from "@/lib/deploy/tokens";
import { resetEnvForTests } from "@/lib/env";
import { captureLogsForTests, type CapturedLogs } from "@/lib/log";
import { getStore } from "@/lib/store";
import type { DeploymentProvider } from "@/lib/store/types";
import {
  startFakeNetlify,
  startFakeRailway,
  startFakeVercel,
  type FakeDeployServer,
  type FakeNetlify,
  type FakeRailway,
  type FakeVercel,
  type OutcomeInput,
} from "../fixtures/deploy-servers";
import { authed, request, signUp, withTestApp, type SignedUp } from "./support/app";

/**
 * Deployments through the route handlers, with the real provider clients
 * talking to the in-process fake Vercel, Netlify and Railway APIs. Every
 * response body, every stored log, all console output and every server log
 * entry (lib/log.ts) is checked for the tokens.
 */

const PROVIDERS = ["vercel", "netlify", "railway"] as const satisfies readonly DeploymentProvider[];

const PLATFORM_TOKENS: Record<DeploymentProvider, string> = {
  vercel: "platform-vercel-tok-9f8e7d6c5b4a",
  netlify: "platform-netlify-tok-1a2b3c4d5e6f",
  railway: "platform-railway-tok-0011223344aa",
};
const USER_TOKENS: Record<DeploymentProvider, string> = {
  vercel: "user-own-vercel-tok-ZZ11YY22XX33",
  netlify: "user-own-netlify-tok-QQ44WW55EE66",
  railway: "user-own-railway-tok-RR77TT88UU99",
};
const WRONG_TOKEN = "wrong-token-never-accepted-5566";
const ALL_TOKENS = [...Object.values(PLATFORM_TOKENS), ...Object.values(USER_TOKENS), WRONG_TOKEN];

const ENV_KEYS = {
  vercel: { url: "VERCEL_API_URL", token: "VERCEL_TOKEN" },
  netlify: { url: "NETLIFY_API_URL", token: "NETLIFY_AUTH_TOKEN" },
  railway: { url: "RAILWAY_API_URL", token: "RAILWAY_TOKEN" },
} as const;

withTestApp({
  AUTOCREA_ENCRYPTION_KEY: "a".repeat(64),
  VERCEL_TOKEN: PLATFORM_TOKENS.vercel,
  NETLIFY_AUTH_TOKEN: PLATFORM_TOKENS.netlify,
  RAILWAY_TOKEN: PLATFORM_TOKENS.railway,
  // Replaced by the fake servers' URLs below; listed so the test app restores them.
  VERCEL_API_URL: "http://127.0.0.1:9",
  NETLIFY_API_URL: "http://127.0.0.1:9",
  RAILWAY_API_URL: "http://127.0.0.1:9",
  VERCEL_TEAM_ID: "",
});

interface Fakes {
  vercel: FakeVercel;
  netlify: FakeNetlify;
  railway: FakeRailway;
}
let fakes: Fakes;
const FAST_POLLING = { initialDelayMs: 1, maxDelayMs: 4 };
const consoleOutput: string[] = [];
let serverLog: CapturedLogs;

function setEnv(key: string, value: string | undefined) {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
  resetEnvForTests();
}

beforeAll(async () => {
  fakes = {
    vercel: await startFakeVercel({ token: PLATFORM_TOKENS.vercel }),
    netlify: await startFakeNetlify({ token: PLATFORM_TOKENS.netlify }),
    railway: await startFakeRailway({ token: PLATFORM_TOKENS.railway }),
  };
  for (const provider of PROVIDERS) process.env[ENV_KEYS[provider].url] = fakes[provider].url;
  resetEnvForTests();
  deploymentPoller.configureForTests({ timings: FAST_POLLING });
  setDeployClientOptionsForTests({ retryDelaysMs: [1, 1, 1] });
  serverLog = captureLogsForTests("debug");
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleOutput.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});

afterEach(async () => {
  await deploymentPoller.stopAll();
});

afterAll(async () => {
  vi.restoreAllMocks();
  deploymentPoller.configureForTests({});
  setDeployClientOptionsForTests({});
  await Promise.all(Object.values(fakes).map((f) => f.close()));
  serverLog.restore();
  for (const line of [...consoleOutput, ...serverLog.lines]) for (const token of ALL_TOKENS) expect(line).not.toContain(token);
});

// ------------------------------------------------------------------ helpers

interface Answer<T> {
  status: number;
  body: T;
}

/** Calls a handler and checks that its body mentions no token. */
async function call<T>(responsePromise: Promise<Response>): Promise<Answer<T>> {
  const response = await responsePromise;
  const text = await response.text();
  for (const token of ALL_TOKENS) expect(text).not.toContain(token);
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

const projectCtx = (id: string) => ({ params: Promise.resolve({ id }) });
const deploymentCtx = (id: string, deploymentId: string) => ({ params: Promise.resolve({ id, deploymentId }) });

async function newProject(user: SignedUp, files = [{ path: "index.html", content: "<h1>Hello</h1>" }, { path: "package.json", content: '{"name":"hello","scripts":{"build":"echo ok"}}' }]) {
  const store = await getStore();
  const project = await store.createProject(user.userId, { name: `Site ${Math.random().toString(36).slice(2, 8)}` });
  if (files.length) await store.saveFiles(user.userId, project.id, { files, message: "Initial files" });
  return project.id;
}

const deploy = (user: SignedUp, projectId: string, provider: string) =>
  call<{ deployment: PublicDeployment }>(
    deployRoute(authed("POST", `/api/projects/${projectId}/deployments`, user.cookie, { provider }), projectCtx(projectId)),
  );
const list = (user: SignedUp, projectId: string) =>
  call<{ deployments: PublicDeployment[]; providers: DeployProviderSummary[] }>(
    listRoute(authed("GET", `/api/projects/${projectId}/deployments`, user.cookie), projectCtx(projectId)),
  );
const getOne = (user: SignedUp, projectId: string, deploymentId: string) =>
  call<{ deployment: PublicDeployment }>(
    getRoute(authed("GET", `/api/projects/${projectId}/deployments/${deploymentId}`, user.cookie), deploymentCtx(projectId, deploymentId)),
  );
const cancel = (user: SignedUp, projectId: string, deploymentId: string) =>
  call<{ deployment: PublicDeployment }>(
    cancelRoute(authed("POST", `/api/projects/${projectId}/deployments/${deploymentId}/cancel`, user.cookie), deploymentCtx(projectId, deploymentId)),
  );
const retry = (user: SignedUp, projectId: string, deploymentId: string) =>
  call<{ deployment: PublicDeployment }>(
    retryRoute(authed("POST", `/api/projects/${projectId}/deployments/${deploymentId}/retry`, user.cookie), deploymentCtx(projectId, deploymentId)),
  );
const stats = (user: SignedUp) => call<{ stats: DeploymentStats }>(statsRoute(authed("GET", "/api/deployments/stats", user.cookie), undefined));

async function saveToken(user: SignedUp, provider: DeploymentProvider, apiKey: string) {
  const saved = await call(saveKeyRoute(authed("POST", "/api/keys", user.cookie, { provider, apiKey }), undefined));
  expect(saved.status).toBe(201);
}

/** Starts a deployment and waits until the poller has settled it. */
async function deployAndSettle(
  user: SignedUp,
  projectId: string,
  provider: DeploymentProvider,
  outcome: OutcomeInput = "succeed",
  server: FakeDeployServer = fakes[provider],
) {
  server.nextOutcome(outcome);
  const started = await deploy(user, projectId, provider);
  expect(started.status).toBe(202);
  await deploymentPoller.waitForIdle();
  const settled = await getOne(user, projectId, started.body.deployment.id);
  expect(settled.status).toBe(200);
  return { started: started.body.deployment, settled: settled.body.deployment };
}

async function expectNoTokensStored(user: SignedUp, projectId: string) {
  const store = await getStore();
  for (const d of await store.listDeployments(user.userId, projectId)) {
    for (const token of ALL_TOKENS) expect(d.logs).not.toContain(token);
  }
}

/** The fake's record of whether the provider's side of a deployment was canceled. */
function providerSideCanceled(provider: DeploymentProvider): boolean[] {
  const f = fakes[provider];
  const all: Array<{ canceled: boolean }> =
    provider === "netlify" ? [...(f as FakeNetlify).deploys.values()] : [...(f as FakeVercel | FakeRailway).deployments.values()];
  return all.map((d) => d.canceled);
}

const authorizationsSeen = (server: FakeDeployServer) => new Set(server.requests.map((r) => r.authorization));

// ------------------------------------------------------------------ per provider

describe.each(PROVIDERS)("deploying to %s", (provider) => {
  let user: SignedUp;
  let projectId: string;
  beforeEach(async () => {
    user = await signUp();
    projectId = await newProject(user);
  });

  it("deploys, polls in the background and ends in success with a URL", async () => {
    fakes[provider].nextOutcome("succeed");
    const started = await deploy(user, projectId, provider);
    expect(started.status).toBe(202);
    expect(Object.keys(started.body.deployment).sort()).toEqual(
      ["createdAt", "id", "logs", "projectId", "provider", "status", "updatedAt", "url"].sort(),
    );
    expect(started.body.deployment).toMatchObject({ provider, projectId });
    expect(["pending", "building"]).toContain(started.body.deployment.status);
    expect(started.body.deployment.logs).toContain("Uploading 2 files to");
    expect(started.body.deployment.logs).toContain("version 1");

    await deploymentPoller.waitForIdle();
    const { body } = await getOne(user, projectId, started.body.deployment.id);
    expect(body.deployment.status).toBe("success");
    expect(body.deployment.url).toMatch(/^https:\/\//);
    expect(body.deployment.logs).toContain(`Deployed: ${body.deployment.url}`);

    const listed = await list(user, projectId);
    expect(listed.body.deployments.map((d) => d.id)).toEqual([started.body.deployment.id]);
    expect(listed.body.providers.find((p) => p.provider === provider)).toEqual({ provider, available: true, source: "platform" });
    expect(authorizationsSeen(fakes[provider])).not.toContain(null);
    await expectNoTokensStored(user, projectId);
  });

  it("records a failed build as failed, with the provider's logs (token redacted)", async () => {
    const { settled } = await deployAndSettle(user, projectId, provider, {
      kind: "fail-build",
      logLines: ["Installing dependencies", `echo ${PLATFORM_TOKENS[provider]}`, "error TS2304: Cannot find name 'oops'."],
      errorMessage: "Build exited with 1",
    });
    expect(settled.status).toBe("failed");
    expect(settled.logs).toContain("reports the deployment failed");
    expect(settled.logs).toContain("Cannot find name 'oops'");
    expect(settled.logs).toContain("[redacted]");
    await expectNoTokensStored(user, projectId);
  });

  it("cancels a deployment that is still building", async () => {
    fakes[provider].nextOutcome("stay-building");
    const started = await deploy(user, projectId, provider);
    expect(started.status).toBe(202);
    const id = started.body.deployment.id;
    expect(deploymentPoller.isPolling(id)).toBe(true);

    const canceled = await cancel(user, projectId, id);
    expect(canceled.status).toBe(200);
    expect(canceled.body.deployment.status).toBe("canceled");
    expect(deploymentPoller.isPolling(id)).toBe(false);
    expect(providerSideCanceled(provider)).toContain(true);

    await deploymentPoller.waitForIdle();
    expect((await getOne(user, projectId, id)).body.deployment.status).toBe("canceled");
    const again = await cancel(user, projectId, id);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: "deployment_finished" });
  });

  it("keeps polling through provider 500s and still succeeds", async () => {
    fakes[provider].nextOutcome("succeed");
    const started = await deploy(user, projectId, provider);
    expect(started.status).toBe(202);
    const before = fakes[provider].requests.length;
    // More failures than one status call's own retries (1 + 3): the poller must back off and ask again.
    fakes[provider].failNext(6, 500);
    await deploymentPoller.waitForIdle();

    const after = fakes[provider].requests.slice(before);
    expect(after.length).toBeGreaterThan(6);
    const { body } = await getOne(user, projectId, started.body.deployment.id);
    expect(body.deployment.status).toBe("success");
    expect(body.deployment.url).toMatch(/^https:\/\//);
  });

  it("retries a failed deployment as a new one that succeeds", async () => {
    const { settled: failed } = await deployAndSettle(user, projectId, provider, "fail-build");
    expect(failed.status).toBe("failed");

    fakes[provider].nextOutcome("succeed");
    const retried = await retry(user, projectId, failed.id);
    expect(retried.status).toBe(202);
    expect(retried.body.deployment.id).not.toBe(failed.id);
    expect(retried.body.deployment.provider).toBe(provider);
    await deploymentPoller.waitForIdle();

    const listed = await list(user, projectId);
    expect(listed.body.deployments.map((d) => [d.id, d.status])).toEqual([
      [retried.body.deployment.id, "success"],
      [failed.id, "failed"],
    ]);
    const notAgain = await retry(user, projectId, retried.body.deployment.id);
    expect(notAgain.status).toBe(409);
    expect(notAgain.body).toMatchObject({ error: "deployment_not_retryable" });
  });

  it("prefers the user's own token over the platform's", async () => {
    const own = await (provider === "vercel" ? startFakeVercel : provider === "netlify" ? startFakeNetlify : startFakeRailway)({
      token: USER_TOKENS[provider],
    });
    const envKey = ENV_KEYS[provider].url;
    const platformUrl = process.env[envKey];
    setEnv(envKey, own.url);
    try {
      await saveToken(user, provider, USER_TOKENS[provider]);
      const listed = await list(user, projectId);
      expect(listed.body.providers.find((p) => p.provider === provider)).toEqual({ provider, available: true, source: "user" });

      const { settled } = await deployAndSettle(user, projectId, provider, "succeed", own);
      expect(settled.status).toBe("success");
      expect(settled.logs).toContain("with your token");
      expect([...authorizationsSeen(own)]).toEqual([`Bearer ${USER_TOKENS[provider]}`]);
      await expectNoTokensStored(user, projectId);
    } finally {
      setEnv(envKey, platformUrl);
      await own.close();
    }
  });

  it("fails with a clear message when the provider refuses the user's token", async () => {
    await saveToken(user, provider, WRONG_TOKEN);
    const started = await deploy(user, projectId, provider);
    expect(started.status).toBe(202);
    await deploymentPoller.waitForIdle();
    const { body } = await getOne(user, projectId, started.body.deployment.id);
    expect(body.deployment.status).toBe("failed");
    expect(body.deployment.logs).toMatch(/refused the token/);
    await expectNoTokensStored(user, projectId);
  });

  it("answers 400 deploy_not_configured when neither the user nor the platform has a token", async () => {
    const tokenKey = ENV_KEYS[provider].token;
    setEnv(tokenKey, undefined);
    try {
      const listed = await list(user, projectId);
      expect(listed.body.providers.find((p) => p.provider === provider)).toEqual({ provider, available: false, source: null });
      const refused = await deploy(user, projectId, provider);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: "deploy_not_configured" });
      expect((refused.body as unknown as { message: string }).message).toMatch(/Settings → Deploy and Git tokens/);
      expect((await list(user, projectId)).body.deployments).toEqual([]);
    } finally {
      setEnv(tokenKey, PLATFORM_TOKENS[provider]);
    }
  });
});

// ------------------------------------------------------------------ across providers

describe("deployments, across providers", () => {
  it("refuses an empty project with 400 and an unknown provider with 400", async () => {
    const user = await signUp();
    const empty = await newProject(user, []);
    const refused = await deploy(user, empty, "vercel");
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: "empty_project" });

    const full = await newProject(user);
    expect((await deploy(user, full, "heroku")).status).toBe(400);
  });

  it("hides someone else's project and deployments (404)", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const bobProject = await newProject(bob);
    const { settled } = await deployAndSettle(bob, bobProject, "vercel");
    const aliceProject = await newProject(alice);

    expect((await list(alice, bobProject)).status).toBe(404);
    expect((await deploy(alice, bobProject, "vercel")).status).toBe(404);
    expect((await getOne(alice, bobProject, settled.id)).status).toBe(404);
    expect((await cancel(alice, bobProject, settled.id)).status).toBe(404);
    expect((await retry(alice, bobProject, settled.id)).status).toBe(404);
    // Bob's deployment id under Alice's own project is not found either.
    expect((await getOne(alice, aliceProject, settled.id)).status).toBe(404);
    expect((await cancel(alice, aliceProject, settled.id)).status).toBe(404);
    expect((await getOne(bob, bobProject, settled.id)).status).toBe(200);
  });

  it("refuses cross-site POSTs and unauthenticated calls", async () => {
    const user = await signUp();
    const projectId = await newProject(user);
    const crossSite = await call(
      deployRoute(
        request("POST", `/api/projects/${projectId}/deployments`, { body: { provider: "vercel" }, cookie: user.cookie, origin: "https://evil.example" }),
        projectCtx(projectId),
      ),
    );
    expect(crossSite.status).toBe(403);
    expect((await call(listRoute(request("GET", `/api/projects/${projectId}/deployments`), projectCtx(projectId)))).status).toBe(401);
    expect((await list(user, projectId)).body.deployments).toEqual([]);
  });

  it("rate-limits starting deployments per user", async () => {
    const user = await signUp();
    const projectId = await newProject(user);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      if (i < 10) fakes.netlify.nextOutcome("succeed");
      statuses.push((await deploy(user, projectId, "netlify")).status);
    }
    await deploymentPoller.waitForIdle();
    expect(statuses.slice(0, 10).every((s) => s === 202)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("publishes a static site's folder as Netlify's root and says so, while Vercel gets every file", async () => {
    const user = await signUp();
    const projectId = await newProject(user, [
      { path: "package.json", content: '{"name":"site","scripts":{"build":"vite build"}}' },
      { path: "src/main.ts", content: "console.log(1)" },
      { path: "dist/index.html", content: "<h1>Built</h1>" },
      { path: "dist/assets/app.js", content: "console.log(2)" },
    ]);
    const { settled } = await deployAndSettle(user, projectId, "netlify");
    expect(settled.status).toBe("success");
    expect(settled.logs).toContain("Publishing dist/ as the site's root");
    const netlifyDeploy = [...fakes.netlify.deploys.values()].at(-1)!;
    expect(Object.keys(netlifyDeploy.digests).sort()).toEqual(["/assets/app.js", "/index.html"]);

    const onVercel = await deployAndSettle(user, projectId, "vercel");
    expect(onVercel.settled.logs).not.toContain("Publishing");
  });

  it("lists the newest 50 deployments, with the whole log only on the newest", async () => {
    const user = await signUp();
    const projectId = await newProject(user);
    const store = await getStore();
    const longLog = Array.from({ length: 400 }, (_, i) => `build line ${i}`).join("\n");
    for (let i = 0; i < 52; i++) {
      const d = await store.createDeployment(user.userId, projectId, "vercel");
      await store.updateDeployment(user.userId, d.id, { status: "failed", logs: `${longLog}\nattempt ${i}` });
    }
    const listed = await list(user, projectId);
    expect(listed.status).toBe(200);
    const [newest, ...older] = listed.body.deployments;
    expect(listed.body.deployments).toHaveLength(50);
    expect(newest.logs).toBe(`${longLog}\nattempt 51`);
    expect(older[0].logs.startsWith("…")).toBe(true);
    expect(older[0].logs.endsWith("attempt 50")).toBe(true);
    expect(older[0].logs.length).toBe(2_001);
    const one = await getOne(user, projectId, older[0].id);
    expect(one.body.deployment.logs).toBe(`${longLog}\nattempt 50`);
  });

  it("deploys into the platform's Vercel team only with the platform's token", async () => {
    setEnv("VERCEL_TEAM_ID", "team_platform");
    const own = await startFakeVercel({ token: USER_TOKENS.vercel });
    try {
      const user = await signUp();
      const projectId = await newProject(user);
      const seenBefore = fakes.vercel.requests.length;
      await deployAndSettle(user, projectId, "vercel");
      const platformRequests = fakes.vercel.requests.slice(seenBefore);
      expect(platformRequests.length).toBeGreaterThan(0);
      for (const r of platformRequests) expect(r.query.teamId).toBe("team_platform");

      setEnv("VERCEL_API_URL", own.url);
      await saveToken(user, "vercel", USER_TOKENS.vercel);
      await deployAndSettle(user, projectId, "vercel", "succeed", own);
      expect(own.requests.length).toBeGreaterThan(0);
      for (const r of own.requests) expect(r.query.teamId).toBeUndefined();
    } finally {
      setEnv("VERCEL_API_URL", fakes.vercel.url);
      setEnv("VERCEL_TEAM_ID", "");
      await own.close();
    }
  });

  it("resumes polling a running deployment nobody follows (after a restart)", async () => {
    const user = await signUp();
    const projectId = await newProject(user);
    fakes.vercel.nextOutcome("succeed");
    // A poller that would not check for a minute, stopped as a restart would.
    deploymentPoller.configureForTests({ timings: { ...FAST_POLLING, initialDelayMs: 60_000 } });
    const started = await deploy(user, projectId, "vercel");
    const id = started.body.deployment.id;
    await deploymentPoller.stop(id);
    deploymentPoller.configureForTests({ timings: FAST_POLLING });
    expect(deploymentPoller.isPolling(id)).toBe(false);
    expect((await getOne(user, projectId, id)).body.deployment.status).toBe("pending");

    // The read above started a new poller.
    expect(deploymentPoller.isPolling(id)).toBe(true);
    await deploymentPoller.waitForIdle();
    expect((await getOne(user, projectId, id)).body.deployment.status).toBe("success");
  });

  it("counts the user's deployments by status and provider", async () => {
    const user = await signUp();
    const empty = await stats(user);
    expect(empty.status).toBe(200);
    expect(empty.body.stats).toEqual({
      total: 0,
      byStatus: { pending: 0, building: 0, success: 0, failed: 0, canceled: 0 },
      successRate: null,
      byProvider: { vercel: 0, netlify: 0, railway: 0 },
    });

    const first = await newProject(user);
    const second = await newProject(user);
    await deployAndSettle(user, first, "vercel", "succeed");
    await deployAndSettle(user, first, "vercel", "succeed");
    await deployAndSettle(user, second, "netlify", "fail-build");
    fakes.railway.nextOutcome("stay-building");
    const building = await deploy(user, second, "railway");
    await cancel(user, second, building.body.deployment.id);
    fakes.railway.nextOutcome("stay-building");
    await deploy(user, second, "railway");

    const { stats: counted } = (await stats(user)).body;
    // The last Railway deployment is still running: pending or building, depending on what Railway said last.
    expect(counted.byStatus.pending + counted.byStatus.building).toBe(1);
    expect(counted).toEqual({
      total: 5,
      byStatus: { pending: counted.byStatus.pending, building: counted.byStatus.building, success: 2, failed: 1, canceled: 1 },
      successRate: 0.5,
      byProvider: { vercel: 2, netlify: 1, railway: 2 },
    });
    // Someone else's numbers are their own.
    expect((await stats(await signUp())).body.stats.total).toBe(0);
  });
});
