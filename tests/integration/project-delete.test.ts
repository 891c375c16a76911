import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as runRoute } from "@/app/api/generations/[runId]/route";
import { GET as eventsRoute } from "@/app/api/generations/[runId]/events/route";
import { POST as startRoute } from "@/app/api/generations/route";
import { GET as statsRoute } from "@/app/api/deployments/stats/route";
import { POST as startAppRoute } from "@/app/api/projects/[id]/app/route";
import { GET as downloadRoute } from "@/app/api/projects/[id]/download/route";
import { GET as filesRoute, PUT as saveRoute } from "@/app/api/projects/[id]/files/route";
import { DELETE as deleteRoute, GET as projectRoute } from "@/app/api/projects/[id]/route";
import { GET as versionsRoute } from "@/app/api/projects/[id]/versions/route";
import { GET as listRoute, POST as createRoute } from "@/app/api/projects/route";
import { liveRuns } from "@/lib/ai/runs/registry";
import { resetEnvForTests } from "@/lib/env";
import { resolvePreviewId } from "@/lib/preview/live";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { peekProjectSession, resetProjectSessionsForTests } from "@/lib/sandbox/project-sessions";
import { getStore } from "@/lib/store";
import { PROJECT_RUN_STILL_RUNNING } from "@/lib/store/rules";
import { StoreError } from "@/lib/store/types";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";
import { SseReader, TRANSCRIPTS } from "./generation-helpers";
import { authed, openTestApp, request, signUp } from "./support/app";

/**
 * DELETE /api/projects/:id through the route handlers: what goes (files, versions, runs, the
 * runner session and the live preview), what stays (deployments and usage in the records,
 * credits), a run in progress canceled and refunded first, and who may delete.
 */

const KEYS = ["JOXCODER_API_URL", "JOXCODER_API_KEY", "JOXCODER_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_BASE_URL", "RUNNER_URL", "RUNNER_SECRET"] as const;
const env = process.env as Record<string, string | undefined>;
const savedEnv = Object.fromEntries(KEYS.map((k) => [k, env[k]]));

let llm: LlmServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  llm = await startLlmServer({ script: { roles: TRANSCRIPTS } });
  for (const key of KEYS) delete env[key];
  cleanup = await openTestApp({ JOXCODER_API_URL: llm.url });
});

afterAll(async () => {
  await cleanup();
  await llm.close();
  for (const key of KEYS) {
    if (savedEnv[key] === undefined) delete env[key];
    else env[key] = savedEnv[key];
  }
  resetEnvForTests();
});

beforeEach(() => {
  resetRateLimitsForTests();
  llm.reset();
});

afterEach(async () => {
  llm.setTokensPerSecond(0);
  await Promise.all(liveRuns().map((run) => run.finished));
});

const ctx = (id: string) => ({ params: Promise.resolve({ id }) });

async function newProject(cookie: string, name: string): Promise<string> {
  const response = await createRoute(authed("POST", "/api/projects", cookie, { name }), undefined);
  expect(response.status).toBe(201);
  return (await response.json()).project.id;
}

async function save(cookie: string, id: string, files: { path: string; content: string }[]): Promise<void> {
  const response = await saveRoute(authed("PUT", `/api/projects/${id}/files`, cookie, { files }), ctx(id));
  expect(response.status).toBe(200);
}

const remove = (cookie: string, id: string, origin?: string | null) =>
  deleteRoute(request("DELETE", `/api/projects/${id}`, { cookie, origin }), ctx(id));

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(body.error).toBe(code);
  return body.message;
}

describe("DELETE /api/projects/:id", () => {
  it("deletes the owner's project with its files and versions; its deployments stay in the records and the name is free", async () => {
    const { cookie, userId } = await signUp();
    const id = await newProject(cookie, "Doomed");
    const keptId = await newProject(cookie, "Kept");
    await save(cookie, id, [{ path: "index.html", content: "<h1>doomed</h1>" }]);
    await save(cookie, id, [{ path: "index.html", content: "<h1>doomed v2</h1>" }]);
    const store = await getStore();
    const deployment = await store.createDeployment(userId, id, "vercel");
    await store.updateDeployment(userId, deployment.id, { status: "success", url: "https://doomed.vercel.app" });
    await store.recordAiRequest({ userId, projectId: id, kind: "explain", model: "m", tokens: 10, credits: 1 });
    const balance = await store.getBalance(userId);

    const response = await remove(cookie, id);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ deleted: { id, name: "Doomed" } });

    await expectError(await projectRoute(authed("GET", `/api/projects/${id}`, cookie), ctx(id)), 404, "not_found");
    await expectError(await filesRoute(authed("GET", `/api/projects/${id}/files`, cookie), ctx(id)), 404, "not_found");
    await expectError(await versionsRoute(authed("GET", `/api/projects/${id}/versions`, cookie), ctx(id)), 404, "not_found");
    await expectError(await downloadRoute(authed("GET", `/api/projects/${id}/download`, cookie), ctx(id)), 404, "not_found");
    await expectError(await remove(cookie, id), 404, "not_found");
    const listed = await (await listRoute(authed("GET", "/api/projects", cookie), undefined)).json();
    expect(listed.projects.map((p: { id: string }) => p.id)).toEqual([keptId]);

    // Kept for the records: the deployment (counted by the dashboard's stats), the usage, the credits.
    const { stats } = await (await statsRoute(authed("GET", "/api/deployments/stats", cookie), undefined)).json();
    expect(stats).toMatchObject({ total: 1, byStatus: { success: 1 }, byProvider: { vercel: 1 } });
    expect(await store.listUserDeployments(userId)).toMatchObject([
      { id: deployment.id, projectId: null, projectName: "Doomed", url: "https://doomed.vercel.app" },
    ]);
    expect((await store.usageStats(userId)).totalCredits).toBe(1);
    expect(await store.getBalance(userId)).toBe(balance);

    // The name can be used again.
    expect(await newProject(cookie, "Doomed")).not.toBe(id);
  });

  it("answers 404 to another user (and changes nothing), 401 signed out, 403 cross-site, 404 for a malformed id", async () => {
    const owner = await signUp();
    const other = await signUp();
    const id = await newProject(owner.cookie, "Mine");
    await save(owner.cookie, id, [{ path: "a.txt", content: "a" }]);

    await expectError(await remove(other.cookie, id), 404, "not_found");
    await expectError(await remove("", id), 401, "unauthorized");
    await expectError(await remove(owner.cookie, id, "https://evil.example"), 403, "csrf");
    await expectError(await remove(owner.cookie, "../etc"), 404, "not_found");

    const project = await (await projectRoute(authed("GET", `/api/projects/${id}`, owner.cookie), ctx(id))).json();
    expect(project.project).toMatchObject({ id, name: "Mine" });
    const files = await (await filesRoute(authed("GET", `/api/projects/${id}/files`, owner.cookie), ctx(id))).json();
    expect(files.latestVersion).toBe(1);
  });

  it("cancels a run in progress first (refunding what it did not spend), then deletes the project and the run", async () => {
    llm.setTokensPerSecond(300);
    const { cookie, userId } = await signUp();
    const id = await newProject(cookie, "Busy");
    const started = await startRoute(authed("POST", "/api/generations", cookie, { projectId: id, prompt: "Build a todo app" }), undefined);
    expect(started.status).toBe(202);
    const { runId } = await started.json();
    const reader = new SseReader(await eventsRoute(authed("GET", `/api/generations/${runId}/events`, cookie), { params: Promise.resolve({ runId }) }));
    await reader.until((f) => f.data.type === "step_started" && f.data.role === "backend");
    expect(liveRuns().map((r) => r.runId)).toEqual([runId]);

    const response = await remove(cookie, id);
    expect(response.status).toBe(200);

    expect(liveRuns()).toEqual([]);
    const frames = await reader.readToEnd();
    const end = frames.at(-1)!.data;
    expect(end).toMatchObject({ type: "failed", status: "canceled" });
    const spent = end.type === "failed" ? end.spent : -1;
    const store = await getStore();
    expect(await store.getBalance(userId)).toBe(100 - spent);
    expect((await store.listLedger(userId)).find((e) => e.reason === "refund")).toBeDefined();
    await expectError(await runRoute(authed("GET", `/api/generations/${runId}`, cookie), { params: Promise.resolve({ runId }) }), 404, "not_found");
    expect(await store.getProject(userId, id)).toBeNull();
  });

  it("answers 409 run_in_progress, deleting nothing, when a run starts between the cancel and the deletion", async () => {
    const { cookie, userId } = await signUp();
    const id = await newProject(cookie, "Raced");
    await save(cookie, id, [{ path: "a.txt", content: "a" }]);
    const store = await getStore();
    // The store refuses as it does when it finds a running run (tests/contract: "a project with a running run is a conflict").
    const refused = vi.spyOn(store, "deleteProject").mockRejectedValueOnce(new StoreError("conflict", PROJECT_RUN_STILL_RUNNING));
    try {
      const message = await expectError(await remove(cookie, id), 409, "run_in_progress");
      expect(message).toMatch(/started on this project while it was being deleted.*Cancel it, then delete the project/);
    } finally {
      refused.mockRestore();
    }
    expect(await store.getProject(userId, id)).toMatchObject({ name: "Raced" });
    expect(await store.listFiles(userId, id)).toHaveLength(1);
  });
});

describe("DELETE /api/projects/:id with a runner session", () => {
  let runner: Server;
  let requests: string[];
  let sessions: Set<string>;

  beforeAll(async () => {
    requests = [];
    sessions = new Set();
    let next = 0;
    const status = { state: "starting", port: 3000, message: null, exitCode: null, signal: null, startedAt: Date.now(), readyAt: null, logBytes: 0, logTail: "" };
    runner = createServer((req: IncomingMessage, res) => {
      req.resume();
      req.on("end", () => {
        const line = `${req.method} ${req.url}`;
        requests.push(line);
        const json = (code: number, body?: unknown) => {
          res.writeHead(code, { "content-type": "application/json" });
          res.end(body === undefined ? "" : JSON.stringify(body));
        };
        if (req.method === "POST" && req.url === "/v1/sessions") {
          const id = `s${++next}`;
          sessions.add(id);
          return json(201, { id });
        }
        const id = /^\/v1\/sessions\/([^/?]+)/.exec(req.url ?? "")?.[1];
        if (!id || !sessions.has(id)) return json(404, { error: "not_found", message: "Session not found." });
        if (req.method === "DELETE" && req.url === `/v1/sessions/${id}`) {
          sessions.delete(id);
          return json(204);
        }
        if (req.method === "PUT" && req.url === `/v1/sessions/${id}/files`) return json(200, {});
        if (req.method === "PUT" && req.url === `/v1/sessions/${id}/app`) return json(202, status);
        return json(200, status);
      });
    });
    await new Promise<void>((resolve) => runner.listen(0, "127.0.0.1", resolve));
    env.RUNNER_URL = `http://127.0.0.1:${(runner.address() as AddressInfo).port}`;
    env.RUNNER_SECRET = "test-runner-secret-0123456789abcdef";
    resetEnvForTests();
  });

  afterAll(async () => {
    delete env.RUNNER_URL;
    delete env.RUNNER_SECRET;
    resetEnvForTests();
    resetProjectSessionsForTests();
    await new Promise((resolve) => runner.close(resolve));
  });

  it("ends the project's runner session (its app and terminal) and revokes its live preview URL", async () => {
    const { cookie, userId } = await signUp();
    const id = await newProject(cookie, "Live");
    const otherId = await newProject(cookie, "Other live");
    const app = [{ path: "package.json", content: JSON.stringify({ scripts: { dev: "node server.js" } }) }, { path: "server.js", content: "" }];
    await save(cookie, id, app);
    await save(cookie, otherId, app);
    const started = await startAppRoute(authed("POST", `/api/projects/${id}/app`, cookie), ctx(id));
    expect(started.status).toBe(202);
    const { url } = await started.json();
    expect((await startAppRoute(authed("POST", `/api/projects/${otherId}/app`, cookie), ctx(otherId))).status).toBe(202);
    const previewId = new URL(url).hostname.split(".")[0];
    expect(resolvePreviewId(previewId)).toMatchObject({ userId, projectId: id });
    const sessionId = peekProjectSession(userId, id)!.sessionId;
    expect(sessions.has(sessionId)).toBe(true);

    expect((await remove(cookie, id)).status).toBe(200);

    expect(requests).toContain(`DELETE /v1/sessions/${sessionId}`);
    expect(sessions.has(sessionId)).toBe(false);
    expect(peekProjectSession(userId, id)).toBeUndefined();
    expect(resolvePreviewId(previewId)).toBeNull();
    // The other project's session is untouched.
    expect(sessions.has(peekProjectSession(userId, otherId)!.sessionId)).toBe(true);
  });

  it("still deletes the project when the runner cannot be reached", async () => {
    const { cookie, userId } = await signUp();
    const id = await newProject(cookie, "Unreachable");
    await save(cookie, id, [{ path: "package.json", content: JSON.stringify({ scripts: { dev: "node s.js" } }) }]);
    expect((await startAppRoute(authed("POST", `/api/projects/${id}/app`, cookie), ctx(id))).status).toBe(202);
    env.RUNNER_URL = "http://127.0.0.1:9"; // nothing listens on the discard port
    resetEnvForTests();
    try {
      expect((await remove(cookie, id)).status).toBe(200);
      expect(peekProjectSession(userId, id)).toBeUndefined();
      expect(await (await getStore()).getProject(userId, id)).toBeNull();
    } finally {
      env.RUNNER_URL = `http://127.0.0.1:${(runner.address() as AddressInfo).port}`;
      resetEnvForTests();
    }
  });
});

