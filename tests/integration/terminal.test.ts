import { randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRunner, type StartedRunner } from "../e2e/support/runner";
import { APP_URL, openTestApp, request as appRequest, signUp } from "./support/app";

/**
 * POST /api/projects/:id/terminal and /terminal/sync through their route
 * handlers, against a SQLite store in a temp dir and the real sandbox-runner
 * in a child process.
 */

const secret = randomBytes(32).toString("hex");
let runner: StartedRunner;
let cleanup: () => Promise<void>;

type TerminalRoute = typeof import("@/app/api/projects/[id]/terminal/route");
type SyncRoute = typeof import("@/app/api/projects/[id]/terminal/sync/route");
let terminalRoute: TerminalRoute;
let syncRoute: SyncRoute;
let sessions: typeof import("@/lib/sandbox/project-sessions");
let projectsRoute: typeof import("@/app/api/projects/route");

function request(method: string, urlPath: string, cookie: string, body?: unknown): Request {
  return appRequest(method, urlPath, { cookie, body });
}

const params = (id: string) => ({ params: Promise.resolve({ id }) });

async function projectWithFiles(
  owner: { cookie: string; userId: string },
  files: { path: string; content: string }[],
): Promise<string> {
  const response = await projectsRoute.POST(
    request("POST", "/api/projects", owner.cookie, { name: `p-${Math.random().toString(36).slice(2, 10)}` }),
    undefined,
  );
  expect(response.status).toBe(201);
  const { project } = (await response.json()) as { project: { id: string } };
  const store = await (await import("@/lib/store")).getStore();
  await store.saveFiles(owner.userId, project.id, { files, message: "seed" });
  return project.id;
}

async function openTerminal(cookie: string, projectId: string): Promise<Response> {
  return terminalRoute.POST(request("POST", `/api/projects/${projectId}/terminal`, cookie), params(projectId));
}

/** Status of a WebSocket upgrade to `url` (101 when the runner accepts the socket). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url.replace(/^ws/, "http"));
    const req = http.request(target, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": randomBytes(16).toString("base64"),
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

async function importRoutes() {
  terminalRoute = await import("@/app/api/projects/[id]/terminal/route");
  syncRoute = await import("@/app/api/projects/[id]/terminal/sync/route");
  sessions = await import("@/lib/sandbox/project-sessions");
  projectsRoute = await import("@/app/api/projects/route");
}

describe("terminal without a runner", () => {
  it("answers 503 runner_not_configured when RUNNER_URL is unset", async () => {
    const done = await openTestApp({ RUNNER_URL: "", RUNNER_SECRET: "" });
    try {
      await importRoutes();
      const owner = await signUp();
      const projectId = await projectWithFiles(owner, [{ path: "a.txt", content: "a" }]);
      const response = await openTerminal(owner.cookie, projectId);
      expect(response.status).toBe(503);
      const body = await response.json();
      expect(body.error).toBe("runner_not_configured");
      expect(body.message).toMatch(/RUNNER_URL/);
    } finally {
      await done();
    }
  });

  it("answers 503 runner_unavailable when the runner does not answer", async () => {
    const done = await openTestApp({ RUNNER_URL: "http://127.0.0.1:9", RUNNER_SECRET: secret });
    try {
      await importRoutes();
      sessions.resetProjectSessionsForTests();
      const owner = await signUp();
      const projectId = await projectWithFiles(owner, [{ path: "a.txt", content: "a" }]);
      const response = await openTerminal(owner.cookie, projectId);
      expect(response.status).toBe(503);
      expect((await response.json()).error).toBe("runner_unavailable");
    } finally {
      await done();
    }
  });
});

describe("terminal with the real runner", () => {
  beforeAll(async () => {
    runner = await startRunner(secret);
    cleanup = await openTestApp({ RUNNER_URL: runner.url, RUNNER_SECRET: secret });
    await importRoutes();
  }, 60_000);

  afterAll(async () => {
    await cleanup?.();
    await runner?.stop();
  });

  beforeEach(() => sessions.resetProjectSessionsForTests());

  async function runInSession(userId: string, projectId: string, command: string): Promise<string> {
    const { runnerClient } = await import("@/lib/sandbox");
    const session = sessions.peekProjectSession(userId, projectId);
    expect(session).toBeDefined();
    const result = await runnerClient().runCommand(session!.sessionId, { command });
    return result.stdout;
  }

  it("creates one session per project, writes the files, and issues a ticket for that session only", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, [
      { path: "hello.txt", content: "hello from the project\n" },
      { path: "src/main.js", content: "console.log(6 * 7);\n" },
    ]);

    const response = await openTerminal(owner.cookie, projectId);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { wsUrl: string; ticket: string };
    const session = sessions.peekProjectSession(owner.userId, projectId)!;
    expect(body.wsUrl).toBe(
      `${runner.url.replace(/^http/, "ws")}/v1/sessions/${session.sessionId}/pty?ticket=${encodeURIComponent(body.ticket)}`,
    );
    expect(await runInSession(owner.userId, projectId, "cat hello.txt && node src/main.js")).toBe(
      "hello from the project\n42\n",
    );

    // The same project reuses its session; the ticket opens that session's socket and no other.
    const again = (await (await openTerminal(owner.cookie, projectId)).json()) as { wsUrl: string; ticket: string };
    expect(sessions.peekProjectSession(owner.userId, projectId)!.sessionId).toBe(session.sessionId);
    const otherProject = await projectWithFiles(owner, [{ path: "b.txt", content: "b" }]);
    await openTerminal(owner.cookie, otherProject);
    const otherSession = sessions.peekProjectSession(owner.userId, otherProject)!.sessionId;
    expect(otherSession).not.toBe(session.sessionId);
    const forOtherSession = again.wsUrl.replace(session.sessionId, otherSession);
    expect(await upgradeStatus(forOtherSession)).toBe(401);
    expect(await upgradeStatus(again.wsUrl)).toBe(101);
    // Single use.
    expect(await upgradeStatus(again.wsUrl)).toBe(401);
  });

  it("another user's project is a 404 and creates no session", async () => {
    const owner = await signUp();
    const intruder = await signUp();
    const projectId = await projectWithFiles(owner, [{ path: "secret.txt", content: "mine" }]);
    const response = await openTerminal(intruder.cookie, projectId);
    expect(response.status).toBe(404);
    expect(sessions.peekProjectSession(intruder.userId, projectId)).toBeUndefined();
    expect(sessions.peekProjectSession(owner.userId, projectId)).toBeUndefined();
    const sync = await syncRoute.POST(request("POST", `/api/projects/${projectId}/terminal/sync`, intruder.cookie), params(projectId));
    expect(sync.status).toBe(404);
  });

  it("sync writes saved changes and removes deleted files", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, [
      { path: "keep.txt", content: "v1\n" },
      { path: "gone.txt", content: "bye\n" },
    ]);
    const sync = () =>
      syncRoute.POST(request("POST", `/api/projects/${projectId}/terminal/sync`, owner.cookie), params(projectId));

    // No session yet: nothing to sync.
    expect(await (await sync()).json()).toEqual({ synced: false, written: 0, deleted: 0, app: null });

    expect((await openTerminal(owner.cookie, projectId)).status).toBe(200);
    const store = await (await import("@/lib/store")).getStore();
    await store.saveFiles(owner.userId, projectId, {
      files: [{ path: "keep.txt", content: "v2\n" }],
      deletes: ["gone.txt"],
      message: "edit",
    });
    const response = await sync();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ synced: true, written: 1, deleted: 1, app: null });
    expect(await runInSession(owner.userId, projectId, "cat keep.txt; ls")).toBe("v2\nkeep.txt\n");
  });

  it("recreates the session when the runner lost it", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, [{ path: "x.txt", content: "still here\n" }]);
    expect((await openTerminal(owner.cookie, projectId)).status).toBe(200);
    const first = sessions.peekProjectSession(owner.userId, projectId)!.sessionId;
    const { runnerClient } = await import("@/lib/sandbox");
    await runnerClient().deleteSession(first);

    const response = await openTerminal(owner.cookie, projectId);
    expect(response.status).toBe(200);
    const second = sessions.peekProjectSession(owner.userId, projectId)!.sessionId;
    expect(second).not.toBe(first);
    expect((await response.json()).wsUrl).toContain(`/v1/sessions/${second}/pty`);
    expect(await runInSession(owner.userId, projectId, "cat x.txt")).toBe("still here\n");
  });

  it("refuses a cross-site request", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, [{ path: "a.txt", content: "a" }]);
    const response = await terminalRoute.POST(
      new Request(`${APP_URL}/api/projects/${projectId}/terminal`, {
        method: "POST",
        headers: { origin: "https://evil.example", cookie: owner.cookie },
      }),
      params(projectId),
    );
    expect(response.status).toBe(403);
  });
});
