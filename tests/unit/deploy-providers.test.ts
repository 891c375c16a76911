import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deployClient } from "@/lib/deploy/providers";
import { DeployProviderError, isFinalStatus, type DeployFile, type DeployProviderClient, type DeploymentProvider, type DeploymentStatus, type ProviderDeploymentState } from "@/lib/deploy/types";
import {
  readTarball,
  startFakeNetlify,
  startFakeRailway,
  startFakeVercel,
  type FakeDeployServer,
  type FakeNetlify,
  type FakeRailway,
  type FakeVercel,
  type RouteMatch,
} from "@/tests/fixtures/deploy-servers";

const FILES: DeployFile[] = [
  { path: "index.html", content: "<!doctype html><h1>Hello from AUTOCREA</h1>" },
  { path: "src/app.js", content: "console.log('héllo');\n" },
  { path: "package.json", content: JSON.stringify({ name: "demo", dependencies: { next: "16.0.0" } }) },
];

const fast = { retryDelaysMs: [1, 1, 1] };

interface Harness<S extends FakeDeployServer> {
  provider: DeploymentProvider;
  start: () => Promise<S>;
  createRoute: RouteMatch;
  statusRoute: RouteMatch;
  /** The files the fake received for a deployment. */
  deployedFiles: (server: S, providerId: string) => Record<string, string>;
  deploymentCount: (server: S) => number;
}

const vercelHarness: Harness<FakeVercel> = {
  provider: "vercel",
  start: () => startFakeVercel(),
  createRoute: { method: "POST", path: "/v13/deployments" },
  statusRoute: { method: "GET", path: /^\/v13\/deployments\/[^/]+$/ },
  deployedFiles: (s, id) => s.deployments.get(id)!.files,
  deploymentCount: (s) => s.deployments.size,
};

const netlifyHarness: Harness<FakeNetlify> = {
  provider: "netlify",
  start: () => startFakeNetlify(),
  createRoute: { method: "POST", path: /^\/api\/v1\/sites\/[^/]+\/deploys$/ },
  statusRoute: { method: "GET", path: /^\/api\/v1\/deploys\/[^/]+$/ },
  deployedFiles: (s, id) => s.deploys.get(id.split("/")[1])!.uploaded,
  deploymentCount: (s) => s.deploys.size,
};

const railwayHarness: Harness<FakeRailway> = {
  provider: "railway",
  start: () => startFakeRailway(),
  createRoute: { method: "POST", path: /\/up$/ },
  statusRoute: { method: "POST", path: "/graphql/v2" },
  deployedFiles: (s, id) => s.deployments.get(id.split("/")[3])!.files,
  deploymentCount: (s) => s.deployments.size,
};

/** Polls until a final status (at most 10 times); returns every state seen, the create result first. */
async function pollToEnd(client: DeployProviderClient, token: string, first: ProviderDeploymentState) {
  const seen: ProviderDeploymentState[] = [first];
  let state = first;
  for (let i = 0; i < 10 && !isFinalStatus(state.status); i++) {
    state = await client.status(token, first.providerId);
    seen.push(state);
  }
  return { final: state, statuses: dedupe(seen.map((s) => s.status)) };
}

function dedupe(statuses: DeploymentStatus[]): DeploymentStatus[] {
  return statuses.filter((s, i) => s !== statuses[i - 1]);
}

async function rejection(promise: Promise<unknown>): Promise<DeployProviderError> {
  const err = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeployProviderError);
  return err as DeployProviderError;
}

/** In every request the fake saw, the token (right or wrong) is sent only as "Authorization: Bearer <token>". */
function expectTokenOnlyInAuthorization(server: FakeDeployServer) {
  expect(server.requests.filter((r) => r.authorization === `Bearer ${server.token}`).length).toBeGreaterThan(3);
  for (const request of server.requests) {
    const { authorization, ...otherHeaders } = request.headers;
    expect(authorization).toMatch(/^Bearer \S{8,}$/);
    const token = authorization.slice("Bearer ".length);
    expect(request.path).not.toContain(token);
    expect(JSON.stringify(request.query)).not.toContain(token);
    expect(JSON.stringify(otherHeaders)).not.toContain(token);
    expect(request.body.includes(Buffer.from(token))).toBe(false);
  }
}

function providerSuite<S extends FakeDeployServer>(h: Harness<S>) {
  describe(`${h.provider} client against its fake API`, () => {
    let server: S;
    let client: DeployProviderClient;
    let token: string;

    beforeAll(async () => {
      server = await h.start();
      client = deployClient(h.provider, { baseUrl: server.url, ...fast });
      token = server.token;
    });
    afterEach(() => server.reset());
    afterAll(() => server.close());

    it("deploys: uploads the files and returns a providerId", async () => {
      const created = await client.create({ token, projectName: "My Demo App!", files: FILES });
      expect(created.providerId).toBeTruthy();
      expect(created.status).toBe("pending");
      expect(h.deployedFiles(server, created.providerId)).toEqual(Object.fromEntries(FILES.map((f) => [f.path, f.content])));
    });

    it("polls pending → building → success, ending with the public https URL", async () => {
      const created = await client.create({ token, projectName: "poll-me", files: FILES });
      const { final, statuses } = await pollToEnd(client, token, created);
      expect(statuses).toEqual(["pending", "building", "success"]);
      expect(final.url).toMatch(/^https:\/\/[a-z0-9.-]+$/);
      expect(final.errorMessage).toBeUndefined();
      expect(await client.logs(token, created.providerId)).not.toBe("");
    });

    it("reports a failing build as failed, with the provider's error message and the build's log lines", async () => {
      server.nextOutcome({ kind: "fail-build", logLines: ["step 1 ok", "error: Module not found: ./missing"], errorMessage: "Build exited with code 1" });
      const created = await client.create({ token, projectName: "broken", files: FILES });
      const { final, statuses } = await pollToEnd(client, token, created);
      expect(statuses.at(-1)).toBe("failed");
      expect(statuses).toContain("building");
      expect(final.errorMessage).toContain("Build exited with code 1");
      expect(final.url).toBeNull();
      const logs = await client.logs(token, created.providerId);
      expect(logs).toContain("step 1 ok");
      expect(logs).toContain("error: Module not found: ./missing");
    });

    it("cancels a deployment that is building", async () => {
      server.nextOutcome("stay-building");
      const created = await client.create({ token, projectName: "cancel-me", files: FILES });
      let state = created;
      for (let i = 0; i < 5 && state.status !== "building"; i++) state = await client.status(token, created.providerId);
      expect(state.status).toBe("building");
      await client.cancel(token, created.providerId);
      expect((await client.status(token, created.providerId)).status).toBe("canceled");
    });

    it("retries a status call that got 500s and then succeeds", async () => {
      const created = await client.create({ token, projectName: "flaky-status", files: FILES });
      const before = server.requestsTo(h.statusRoute).length;
      server.failNext(2, 500, h.statusRoute);
      const state = await client.status(token, created.providerId);
      expect(state.providerId).toBe(created.providerId);
      expect(server.requestsTo(h.statusRoute).length - before).toBe(3);
    });

    it("retries the create call after a 500 and makes exactly one deployment", async () => {
      const before = h.deploymentCount(server);
      server.failNext(1, 500, h.createRoute);
      const created = await client.create({ token, projectName: "flaky-create", files: FILES });
      expect(created.providerId).toBeTruthy();
      expect(h.deploymentCount(server) - before).toBe(1);
      expect(h.deployedFiles(server, created.providerId)).toHaveProperty("index.html", FILES[0].content);
    });

    it("gives up after the configured retries with a retryable error", async () => {
      const created = await client.create({ token, projectName: "down", files: FILES });
      const attempts = fast.retryDelaysMs.length + 1;
      const before = server.requestsTo(h.statusRoute).length;
      server.failNext(attempts, 503, h.statusRoute);
      const err = await rejection(client.status(token, created.providerId));
      expect(err.retryable).toBe(true);
      expect(err.options.code).toBe("unavailable");
      expect(server.requestsTo(h.statusRoute).length - before).toBe(attempts);
    });

    it("does not retry a 4xx and keeps the provider's message", async () => {
      const before = server.requestsTo(h.createRoute).length;
      server.failNext(1, 400, h.createRoute);
      const err = await rejection(client.create({ token, projectName: "bad", files: FILES }));
      expect(err.retryable).toBe(false);
      expect(err.options.code).toBe("bad_request");
      expect(err.message).toContain("Injected failure");
      expect(server.requestsTo(h.createRoute).length - before).toBe(1);
    });

    it("maps a rejected token to a non-retryable unauthorized error whose message omits the token", async () => {
      const wrong = `${h.provider}-WRONG-token-ABCDEF123456`;
      for (const call of [
        client.create({ token: wrong, projectName: "nope", files: FILES }),
        client.status(wrong, h.provider === "netlify" ? "site/dep" : h.provider === "railway" ? "p/e/s/d" : "dpl_x"),
      ]) {
        const err = await rejection(call);
        expect(err.options.code).toBe("unauthorized");
        expect(err.retryable).toBe(false);
        expect(err.message).not.toContain(wrong);
        expect(err.stack ?? "").not.toContain(wrong);
      }
    });

    it("redacts the token when the provider's build log or error message echoes it", async () => {
      server.nextOutcome({ kind: "fail-build", logLines: [`printenv: TOKEN=${token}`], errorMessage: `auth ${token} failed` });
      const created = await client.create({ token, projectName: "leaky-build", files: FILES });
      const { final } = await pollToEnd(client, token, created);
      expect(final.status).toBe("failed");
      expect(final.errorMessage).not.toContain(token);
      const logs = await client.logs(token, created.providerId);
      expect(logs).toContain("printenv: TOKEN=[redacted]");
      expect(logs).not.toContain(token);
    });

    it("sends the token only in the Authorization header", async () => {
      const created = await client.create({ token, projectName: "token-check", files: FILES });
      await pollToEnd(client, token, created);
      await client.logs(token, created.providerId);
      expectTokenOnlyInAuthorization(server);
    });
  });
}

providerSuite(vercelHarness);
providerSuite(netlifyHarness);
providerSuite(railwayHarness);

describe("vercel specifics", () => {
  let server: FakeVercel;
  beforeAll(async () => {
    server = await startFakeVercel();
  });
  afterAll(() => server.close());

  it("uploads files above the inline limit to /v2/files with their SHA1 and references them by sha", async () => {
    const client = deployClient("vercel", { baseUrl: server.url, inlineFileLimitBytes: 30, ...fast });
    const created = await client.create({ token: server.token, projectName: "big", files: FILES });
    const uploads = server.requestsTo({ method: "POST", path: "/v2/files" });
    const big = FILES.filter((f) => Buffer.byteLength(f.content) > 30);
    expect(uploads.map((u) => u.text).sort()).toEqual(big.map((f) => f.content).sort());
    const create = server.requestsTo({ method: "POST", path: "/v13/deployments" }).at(-1)!;
    const body = JSON.parse(create.text) as { name: string; files: { file: string; sha?: string; data?: string; encoding?: string }[]; projectSettings: unknown };
    expect(body.name).toBe("big");
    expect(body.projectSettings).toEqual({ framework: "nextjs" });
    const byPath = Object.fromEntries(body.files.map((f) => [f.file, f]));
    expect(byPath["index.html"].sha).toMatch(/^[0-9a-f]{40}$/);
    expect(byPath["src/app.js"]).toMatchObject({ encoding: "base64" });
    expect(server.deployments.get(created.providerId)!.files["index.html"]).toBe(FILES[0].content);
  });

  it("sends ?teamId= on every call when a team is configured, and a provider-safe name", async () => {
    const client = deployClient("vercel", { baseUrl: server.url, teamId: "team_abc", ...fast });
    const start = server.requests.length;
    const created = await client.create({ token: server.token, projectName: "Ünïcode  Project --- Name", files: FILES });
    await client.status(server.token, created.providerId);
    await client.logs(server.token, created.providerId);
    const calls = server.requests.slice(start);
    expect(calls.length).toBe(3);
    for (const call of calls) expect(call.query.teamId).toBe("team_abc");
    expect(server.deployments.get(created.providerId)!.name).toBe("unicode-project-name");
  });
});

describe("netlify specifics", () => {
  let server: FakeNetlify;
  beforeAll(async () => {
    server = await startFakeNetlify();
  });
  afterAll(() => server.close());

  it("reuses the site of the previous deploy and uploads only the files Netlify asks for", async () => {
    const client = deployClient("netlify", { baseUrl: server.url, ...fast });
    const first = await client.create({ token: server.token, projectName: "Site Reuse", files: FILES });
    const [siteId] = first.providerId.split("/");
    expect(server.sites.get(siteId)?.name).toMatch(/^site-reuse-[0-9a-f]{6}$/);
    const uploadsBefore = server.requestsTo({ method: "PUT" }).length;

    const changed = [...FILES.slice(0, 2), { path: "package.json", content: '{"name":"demo","version":"2"}' }];
    const second = await client.create({ token: server.token, projectName: "Site Reuse", files: changed, previousProviderId: first.providerId });
    expect(second.providerId.split("/")[0]).toBe(siteId);
    expect(server.requestsTo({ method: "POST", path: "/api/v1/sites" })).toHaveLength(1);
    const uploads = server.requestsTo({ method: "PUT" }).slice(uploadsBefore);
    expect(uploads.map((u) => u.path)).toEqual([`/api/v1/deploys/${second.providerId.split("/")[1]}/files/package.json`]);
    expect(uploads[0].headers["content-type"]).toBe("application/octet-stream");
    const posted = JSON.parse(server.requestsTo({ method: "POST", path: /\/deploys$/ }).at(-1)!.text) as { files: Record<string, string> };
    expect(Object.keys(posted.files).sort()).toEqual(["/index.html", "/package.json", "/src/app.js"]);
    expect((await client.status(server.token, second.providerId)).status).not.toBe("failed");
  });
});

describe("railway specifics", () => {
  let server: FakeRailway;
  beforeAll(async () => {
    server = await startFakeRailway();
  });
  afterAll(() => server.close());

  it("creates project, service and domain once, uploads a gzipped tarball, and reuses them next time", async () => {
    const client = deployClient("railway", { baseUrl: server.url, ...fast });
    const first = await client.create({ token: server.token, projectName: "Rail App", files: FILES });
    expect(server.operations()).toEqual(["projectCreate", "serviceCreate", "serviceDomainCreate"]);
    const upload = server.requestsTo({ method: "POST", path: /\/up$/ })[0];
    expect(upload.headers["content-type"]).toBe("application/gzip");
    expect(readTarball(upload.body)).toEqual(Object.fromEntries(FILES.map((f) => [f.path, f.content])));

    const second = await client.create({ token: server.token, projectName: "Rail App", files: FILES, previousProviderId: first.providerId });
    expect(server.operations()).toEqual(["projectCreate", "serviceCreate", "serviceDomainCreate"]);
    expect(second.providerId.split("/").slice(0, 3)).toEqual(first.providerId.split("/").slice(0, 3));
    expect(second.providerId).not.toBe(first.providerId);
    expect(server.projects.size).toBe(1);
    const { final } = await pollToEnd(client, server.token, second);
    expect(final.url).toBe("https://rail-app-production.up.railway.app");
  });

  it("maps a GraphQL error that is not about auth to a non-retryable bad_request", async () => {
    const client = deployClient("railway", { baseUrl: server.url, ...fast });
    const err = await rejection(client.status(server.token, "p/e/s/unknown-deployment"));
    expect(err.options.code).toBe("bad_request");
    expect(err.message).toContain("Deployment not found");
  });
});
