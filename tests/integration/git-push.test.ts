import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { captureLogsForTests, type CapturedLogs } from "@/lib/log";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { startGitServer, type GitServer } from "../fixtures/git-server/server";
import { authed, openTestApp, signUp, type SignedUp } from "./support/app";
import { gitEnv, runGit } from "./support/git";

/**
 * POST /api/projects/:id/git/push against a real Git smart-HTTP server
 * (git http-backend behind Basic auth): what arrives is checked with the real
 * `git`, and the token never shows up in a response or a log line.
 */

const TOKEN = `ghp_${randomBytes(12).toString("hex")}`;
const WRONG_TOKEN = `ghp_wrong_${randomBytes(8).toString("hex")}`;

let server: GitServer;
let closedHost: string;
let cleanupApp: () => Promise<void>;
let logSpies: MockInstance[] = [];
let serverLog: CapturedLogs;

let projectsRoute: typeof import("@/app/api/projects/route");
let filesRoute: typeof import("@/app/api/projects/[id]/files/route");
let keysRoute: typeof import("@/app/api/keys/route");
let gitRoute: typeof import("@/app/api/projects/[id]/git/route");
let pushRoute: typeof import("@/app/api/projects/[id]/git/push/route");

/** A loopback host:port nothing listens on. */
async function closedPort(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

beforeAll(async () => {
  server = await startGitServer({ token: TOKEN, gitEnv });
  closedHost = await closedPort();
  cleanupApp = await openTestApp({
    AUTOCREA_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    GIT_ALLOWED_HOSTS: `github.com, gitlab.com, ${server.host}, ${closedHost}`,
  });
  projectsRoute = await import("@/app/api/projects/route");
  filesRoute = await import("@/app/api/projects/[id]/files/route");
  keysRoute = await import("@/app/api/keys/route");
  gitRoute = await import("@/app/api/projects/[id]/git/route");
  pushRoute = await import("@/app/api/projects/[id]/git/push/route");
});
afterAll(async () => {
  await cleanupApp?.();
  await server?.close();
});
beforeEach(() => {
  resetRateLimitsForTests();
  serverLog = captureLogsForTests("debug");
  logSpies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation(() => {}),
  );
});
afterEach(() => {
  const logged = [...logSpies.flatMap((spy) => spy.mock.calls.map((call) => call.map(String).join(" "))), ...serverLog.lines].join("\n");
  serverLog.restore();
  expect(logged).not.toContain(TOKEN);
  expect(logged).not.toContain(WRONG_TOKEN);
  for (const spy of logSpies) spy.mockRestore();
});

const ctx = (id: string) => ({ params: Promise.resolve({ id }) });

async function newProjectWithVersions(cookie: string, name: string, count: number): Promise<string> {
  const created = await projectsRoute.POST(authed("POST", "/api/projects", cookie, { name }), undefined);
  expect(created.status).toBe(201);
  const id = (await created.json()).project.id as string;
  for (let i = 1; i <= count; i++) await saveVersion(cookie, id, i);
  return id;
}

async function saveVersion(cookie: string, id: string, i: number): Promise<void> {
  const files = [{ path: `src/step-${i}.ts`, content: `export const step = ${i};\n` }, { path: "README.md", content: `# v${i}\n` }];
  const response = await filesRoute.PUT(authed("PUT", `/api/projects/${id}/files`, cookie, { files, message: `Step ${i}` }), ctx(id));
  expect(response.status).toBe(200);
}

async function storeToken(cookie: string, provider: string, apiKey: string): Promise<void> {
  const response = await keysRoute.POST(authed("POST", "/api/keys", cookie, { provider, apiKey }), undefined);
  expect(response.status).toBe(201);
}

async function push(cookie: string, id: string, body: Record<string, unknown>): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const response = await pushRoute.POST(authed("POST", `/api/projects/${id}/git/push`, cookie, body), ctx(id));
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) };
}

async function projectCommits(cookie: string, id: string): Promise<string[]> {
  const response = await gitRoute.GET(authed("GET", `/api/projects/${id}/git`, cookie), ctx(id));
  return ((await response.json()).commits as Array<{ oid: string }>).map((c) => c.oid);
}

function remoteLog(bare: string, branch: string): string[] {
  return runGit(bare, ["--git-dir", bare, "log", "--format=%H %s", branch]).trim().split("\n");
}

describe("pushing a project to a Git remote", () => {
  let owner: SignedUp;
  beforeAll(async () => {
    owner = await signUp({ name: "Grace Hopper" });
    await storeToken(owner.cookie, "github", TOKEN);
  });

  it("pushes every version as a commit, then fast-forwards after a new version", async () => {
    const bare = server.createBareRepo("app.git");
    const id = await newProjectWithVersions(owner.cookie, "Pushed app", 2);
    const remoteUrl = `${server.url}/app.git`;

    const first = await push(owner.cookie, id, { provider: "github", remoteUrl, branch: "autocrea" });
    expect(first.status).toBe(200);
    expect(first.text).not.toContain(TOKEN);
    const commits = await projectCommits(owner.cookie, id);
    expect(first.json).toEqual({ pushed: true, branch: "autocrea", commit: commits[0], remoteUrl });
    expect(remoteLog(bare, "autocrea")).toEqual([`${commits[0]} Step 2`, `${commits[1]} Step 1`]);
    runGit(bare, ["--git-dir", bare, "fsck", "--full", "--strict"]);

    // The token went as Basic auth with GitHub's user name, only after the server asked for it.
    const authorizations = server.requests.map((r) => r.authorization).filter((a): a is string => a !== null);
    expect(authorizations.length).toBeGreaterThan(0);
    expect(new Set(authorizations)).toEqual(new Set([`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`]));

    // Same history again: nothing to change, same commit.
    const again = await push(owner.cookie, id, { provider: "github", remoteUrl, branch: "autocrea" });
    expect(again.status).toBe(200);
    expect(again.json.commit).toBe(commits[0]);
    expect(remoteLog(bare, "autocrea")).toHaveLength(2);

    await saveVersion(owner.cookie, id, 3);
    const third = await push(owner.cookie, id, { provider: "github", remoteUrl, branch: "autocrea" });
    expect(third.status).toBe(200);
    const after = await projectCommits(owner.cookie, id);
    expect(after.slice(1)).toEqual(commits);
    expect(third.json.commit).toBe(after[0]);
    expect(remoteLog(bare, "autocrea").map((line) => line.split(" ")[0])).toEqual(after);
    expect(runGit(bare, ["--git-dir", bare, "show", `autocrea:src/step-3.ts`])).toBe("export const step = 3;\n");
  });

  it("refuses to overwrite a remote branch that has commits the project lacks (409)", async () => {
    const bare = server.createBareRepo("foreign.git");
    const work = mkdtempSync(path.join(tmpdir(), "autocrea-foreign-"));
    try {
      runGit(work, ["init", "--quiet"]);
      writeFileSync(path.join(work, "theirs.txt"), "not from AUTOCREA\n");
      runGit(work, ["add", "theirs.txt"]);
      runGit(work, ["-c", "user.name=Someone", "-c", "user.email=someone@example.com", "commit", "--quiet", "-m", "Foreign"]);
      runGit(work, ["push", "--quiet", bare, "HEAD:refs/heads/autocrea"]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const foreignHead = remoteLog(bare, "autocrea");

    const id = await newProjectWithVersions(owner.cookie, "Conflicting app", 1);
    const result = await push(owner.cookie, id, { provider: "github", remoteUrl: `${server.url}/foreign.git`, branch: "autocrea" });
    expect(result.status).toBe(409);
    expect(result.json.error).toBe("non_fast_forward");
    expect(result.json.message).toMatch(/remote branch has commits that are not in this project/);
    expect(remoteLog(bare, "autocrea")).toEqual(foreignHead);

    // Another branch of the same remote is fine.
    const elsewhere = await push(owner.cookie, id, { provider: "github", remoteUrl: `${server.url}/foreign.git`, branch: "feature/autocrea-2" });
    expect(elsewhere.status).toBe(200);
    expect(remoteLog(bare, "feature/autocrea-2")).toHaveLength(1);
  });

  it("reports a token the remote refuses without revealing it", async () => {
    server.createBareRepo("locked.git");
    const user = await signUp();
    await storeToken(user.cookie, "gitlab", WRONG_TOKEN);
    const id = await newProjectWithVersions(user.cookie, "Locked app", 1);
    const before = server.requests.length;

    const result = await push(user.cookie, id, { provider: "gitlab", remoteUrl: `${server.url}/locked.git`, branch: "main" });
    expect(result.status).toBe(403);
    expect(result.json.error).toBe("remote_auth_failed");
    expect(result.json.message).toMatch(/remote refused the token/i);
    expect(result.text).not.toContain(WRONG_TOKEN);
    // GitLab's user name was used, with the stored token, and the remote said no.
    const sent = server.requests.slice(before).filter((r) => r.authorization);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0].authorization).toBe(`Basic ${Buffer.from(`oauth2:${WRONG_TOKEN}`).toString("base64")}`);
    expect(sent.every((r) => r.status === 401)).toBe(true);
  });

  it("answers 502 when the remote cannot be reached", async () => {
    const id = await newProjectWithVersions(owner.cookie, "Unreachable app", 1);
    const result = await push(owner.cookie, id, { provider: "github", remoteUrl: `http://${closedHost}/x.git`, branch: "main" });
    expect(result.status).toBe(502);
    expect(result.json.error).toBe("remote_unreachable");
    expect(result.text).not.toContain(TOKEN);
  });

  it("rejects remotes outside GIT_ALLOWED_HOSTS, URLs with credentials and bad branch names before any request", async () => {
    const id = await newProjectWithVersions(owner.cookie, "Validated app", 1);
    const before = server.requests.length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ remoteUrl: "https://evil.example.com/a/b.git", branch: "main" }, "invalid_remote"],
      [{ remoteUrl: "https://169.254.169.254/latest.git", branch: "main" }, "invalid_remote"],
      [{ remoteUrl: "https://me:s3cret-pass@github.com/a/b.git", branch: "main" }, "invalid_remote"],
      [{ remoteUrl: "http://github.com/a/b.git", branch: "main" }, "invalid_remote"],
      [{ remoteUrl: `https://${server.host}/app.git`.replace("https", "ftp"), branch: "main" }, "invalid_remote"],
      [{ remoteUrl: `${server.url}/app.git`, branch: "a..b" }, "invalid_branch"],
      [{ remoteUrl: `${server.url}/app.git`, branch: "-force" }, "invalid_branch"],
      [{ remoteUrl: `${server.url}/app.git`, branch: "has space" }, "invalid_branch"],
      [{ remoteUrl: `${server.url}/app.git`, branch: "topic.lock" }, "invalid_branch"],
      [{ remoteUrl: `${server.url}/app.git`, branch: "x@{1}" }, "invalid_branch"],
    ];
    for (const [body, code] of cases) {
      const result = await push(owner.cookie, id, { provider: "github", ...body });
      expect(result.status, JSON.stringify(body)).toBe(400);
      expect(result.json.error, JSON.stringify(body)).toBe(code);
      expect(result.text).not.toContain("s3cret-pass");
    }
    const badProvider = await push(owner.cookie, id, { provider: "bitbucket", remoteUrl: `${server.url}/app.git`, branch: "main" });
    expect(badProvider.status).toBe(400);
    expect(server.requests.length).toBe(before);
  });

  it("asks for a token in Settings when none is stored (400)", async () => {
    const id = await newProjectWithVersions(owner.cookie, "No GitLab token", 1);
    const result = await push(owner.cookie, id, { provider: "gitlab", remoteUrl: `${server.url}/app.git`, branch: "main" });
    expect(result.status).toBe(400);
    expect(result.json.error).toBe("no_token");
    expect(result.json.message).toMatch(/Settings/);
  });

  it("answers 404 for someone else's project and 403 without the app's Origin", async () => {
    const id = await newProjectWithVersions(owner.cookie, "Owner only", 1);
    const other = await signUp();
    await storeToken(other.cookie, "github", TOKEN);
    const result = await push(other.cookie, id, { provider: "github", remoteUrl: `${server.url}/app.git`, branch: "stolen" });
    expect(result.status).toBe(404);
    expect((await gitRoute.GET(authed("GET", `/api/projects/${id}/git`, other.cookie), ctx(id))).status).toBe(404);

    const crossSite = await pushRoute.POST(
      authed("POST", `/api/projects/${id}/git/push`, owner.cookie, { provider: "github", remoteUrl: `${server.url}/app.git`, branch: "x" }, { origin: "https://evil.example" }),
      ctx(id),
    );
    expect(crossSite.status).toBe(403);
  });
});
