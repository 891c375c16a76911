import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as startRoute } from "@/app/api/generations/route";
import { GET as eventsRoute } from "@/app/api/generations/[runId]/events/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { POST as changeEstimateRoute } from "@/app/api/projects/[id]/changes/estimate/route";
import { GET as listChangesRoute, POST as changeRoute } from "@/app/api/projects/[id]/changes/route";
import { microCreditsFor } from "@/lib/ai/pricing";
import { liveRuns } from "@/lib/ai/runs/registry";
import { resetEnvForTests } from "@/lib/env";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";
import { countPromptTokens, splitIntoTokens, startLlmServer, type LlmServer, type RecordedRequest } from "../fixtures/llm-server";
import { messageText } from "../fixtures/llm-server/script";
import { CHANGE, FIXER_REPLACE, TODO_APP_FILES, TRANSCRIPTS } from "../fixtures/llm-server/scripts/todo-app";
import { SseReader } from "./generation-helpers";
import { authed, openTestApp } from "./support/app";

/**
 * A change request through the routes (POST /api/projects/:id/changes) on the generated todo app,
 * against the scripted server: one editor call carrying only the files the request is about, a new
 * version, and a price that follows the change rather than the project.
 */

const AI_KEYS = ["JOXCODER_API_URL", "JOXCODER_API_KEY", "JOXCODER_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_BASE_URL", "RUNNER_URL", "RUNNER_SECRET"] as const;
const env = process.env as Record<string, string | undefined>;
const savedEnv = Object.fromEntries(AI_KEYS.map((k) => [k, env[k]]));
/** Priced with the default weights (an unknown model), so a run costs whole credits worth comparing. */
const MODEL = "jox-test";

let llm: LlmServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  llm = await startLlmServer({ script: { roles: TRANSCRIPTS } });
  for (const key of AI_KEYS) delete env[key];
  cleanup = await openTestApp({ JOXCODER_API_URL: llm.url, JOXCODER_MODEL: MODEL });
});

afterAll(async () => {
  await cleanup();
  await llm.close();
  for (const key of AI_KEYS) {
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
  await Promise.all(liveRuns().map((run) => run.finished));
});

async function signUpAndGenerate() {
  const { signUp } = await import("./support/app");
  const { cookie, userId } = await signUp();
  const created = await createProjectRoute(authed("POST", "/api/projects", cookie, { name: "Tiny Todo", description: "A small todo app." }), undefined);
  const projectId: string = (await created.json()).project.id;
  const started = await startRoute(authed("POST", "/api/generations", cookie, { projectId, prompt: "Build a todo app" }), undefined);
  expect(started.status).toBe(202);
  const { runId } = await started.json();
  const frames = await new SseReader(await eventsRoute(authed("GET", `/api/generations/${runId}/events`, cookie), { params: Promise.resolve({ runId }) })).readToEnd();
  expect(frames.at(-1)!.data).toMatchObject({ type: "done" });
  return { cookie, userId, projectId, generation: frames.at(-1)!.data as { spent: number } };
}

/** Exact micro-credits of the answered requests, from the scripted server's deterministic usage. */
function micro(requests: RecordedRequest[]): number {
  return requests
    .filter((r) => r.chatRequest !== null)
    .reduce((sum, r) => {
      const body = r.body as { messages: { role: string; content: string }[] };
      const transcript = TRANSCRIPTS[r.role as keyof typeof TRANSCRIPTS];
      const text = Array.isArray(transcript) ? transcript[0] : transcript;
      return sum + microCreditsFor({ provider: "joxcoder", model: MODEL }, { inputTokens: countPromptTokens(body.messages), outputTokens: splitIntoTokens(text).length });
    }, 0);
}

describe("a change request", () => {
  it("edits only what the request is about, in one editor call, for a fraction of the first generation's price", async () => {
    const { cookie, userId, projectId, generation } = await signUpAndGenerate();
    const generationMicro = micro(llm.requests);
    llm.reset();

    // Asked first: what it would reserve and read; nothing is called or reserved.
    const asked = await changeEstimateRoute(authed("POST", `/api/projects/${projectId}/changes/estimate`, cookie, { request: CHANGE.request }), {
      params: Promise.resolve({ id: projectId }),
    });
    expect(asked.status).toBe(200);
    const preview = await asked.json();
    expect(preview).toMatchObject({ model: MODEL, available: 100 - generation.spent });
    expect([...preview.files].sort()).toEqual(["package.json", "server.js", "test/todos.test.js", "todos.js"]);
    expect(llm.requests).toHaveLength(0);

    const response = await changeRoute(authed("POST", `/api/projects/${projectId}/changes`, cookie, { request: CHANGE.request }), {
      params: Promise.resolve({ id: projectId }),
    });
    expect(response.status).toBe(202);
    const { runId, estimate, reserved } = await response.json();
    expect(estimate).toBe(preview.estimate);
    const frames = await new SseReader(await eventsRoute(authed("GET", `/api/generations/${runId}/events`, cookie), { params: Promise.resolve({ runId }) })).readToEnd();
    const events = frames.map((f) => f.data);
    expect(events[0]).toMatchObject({ type: "run_started", kind: "change", request: CHANGE.request, estimate, reserved });

    // One call, the editor's, carrying the store and not the files the request is not about.
    const calls = llm.requests.filter((r) => r.chatRequest !== null);
    expect(calls.map((r) => r.role)).toEqual(["editor"]);
    const sent = messageText((calls[0].body as { messages: { role: string; content: unknown }[] }).messages.at(-1)!.content);
    expect(sent).toContain(`<file path="todos.js">\n${TODO_APP_FILES["todos.js"]}`);
    for (const path of ["Dockerfile", "public/styles.css", "README.md", "public/index.html", "public/app.js"]) {
      expect(sent, path).toContain(`- ${path} (`);
      expect(sent, path).not.toContain(TODO_APP_FILES[path]);
    }

    // The edit is saved as a new version named after the request.
    const store = await getStore();
    expect((await store.getFile(userId, projectId, "todos.js"))?.content).toContain(FIXER_REPLACE);
    const versions = await store.listVersions(userId, projectId);
    expect(versions).toHaveLength(2);
    expect(versions[0].message).toBe(`Change with issues: ${CHANGE.request}`);
    expect(events).toContainEqual({ type: "file_edited", role: "editor", path: "todos.js" });

    // Priced by the change: at most a fifth of the generation, exactly and in charged credits.
    const done = events.at(-1) as { type: string; spent: number; refunded: number };
    expect(done).toMatchObject({ type: "done", spent: Math.ceil(micro(llm.requests) / 1_000_000), refunded: reserved - done.spent });
    expect(micro(llm.requests) * 5).toBeLessThanOrEqual(generationMicro);
    expect(done.spent * 5).toBeLessThanOrEqual(generation.spent);
    // The estimate follows the context the change needs, not the project. With no runner there are
    // no checks and no fixer passes to reserve for: the most is what the editor alone costs, and covers it.
    expect(estimate).toBeLessThan(generation.spent);
    expect(preview.likely).toBe(preview.estimate);
    expect(done.spent).toBeLessThanOrEqual(preview.likely);
  });

  it("lists the project's changes for the chat, and the next change's editor reads the conversation so far", async () => {
    const { cookie, projectId } = await signUpAndGenerate();
    const params = { params: Promise.resolve({ id: projectId }) };
    const list = async (who = cookie) => listChangesRoute(authed("GET", `/api/projects/${projectId}/changes`, who), params);
    expect(await (await list()).json()).toEqual({ changes: [], more: false });

    const follow = async (request: string) => {
      const response = await changeRoute(authed("POST", `/api/projects/${projectId}/changes`, cookie, { request }), params);
      expect(response.status).toBe(202);
      const { runId } = await response.json();
      await new SseReader(await eventsRoute(authed("GET", `/api/generations/${runId}/events`, cookie), { params: Promise.resolve({ runId }) })).readToEnd();
      return runId as string;
    };
    llm.reset();
    const first = await follow(CHANGE.request);
    const listed = await (await list()).json();
    expect(listed.more).toBe(false);
    expect(listed.changes).toHaveLength(1);
    expect(listed.changes[0]).toMatchObject({
      runId: first,
      request: CHANGE.request,
      status: "completed_with_issues",
      version: 2,
      files: [{ path: "todos.js", action: "edited" }],
      error: null,
    });
    expect(listed.changes[0].spent).toBeGreaterThan(0);
    expect(listed.changes[0].issues.length).toBeGreaterThan(0);

    llm.reset();
    const second = await follow("Now show the due date in red when it has passed");
    const sent = messageText(
      (llm.requests.find((r) => r.role === "editor")!.body as { messages: { role: string; content: unknown }[] }).messages.at(-1)!.content,
    );
    expect(sent).toContain("## Earlier in this conversation");
    expect(sent).toContain(`  > ${CHANGE.request}\n  Result: edited todos.js; not verified:`);
    expect(sent.indexOf("Now show the due date in red")).toBeLessThan(sent.indexOf("## Earlier in this conversation"));
    expect((await (await list()).json()).changes.map((c: { runId: string }) => c.runId)).toEqual([first, second]);

    // Someone else's project: not found, and nothing about it.
    const { signUp } = await import("./support/app");
    const stranger = await signUp();
    const foreign = await list(stranger.cookie);
    expect(foreign.status).toBe(404);
  });

  it("is refused for a project with no files, and for an empty request", async () => {
    const { signUp } = await import("./support/app");
    const { cookie } = await signUp();
    const created = await createProjectRoute(authed("POST", "/api/projects", cookie, { name: "Empty" }), undefined);
    const projectId: string = (await created.json()).project.id;
    const call = (body: unknown) => changeRoute(authed("POST", `/api/projects/${projectId}/changes`, cookie, body), { params: Promise.resolve({ id: projectId }) });
    const empty = await call({ request: "Make it blue" });
    expect(empty.status).toBe(409);
    expect((await empty.json()).error).toBe("no_files");
    const blank = await call({ request: "   " });
    expect(blank.status).toBe(400);
    expect(llm.requests).toHaveLength(0);
  });
});
