import { beforeAll, describe, expect, it } from "vitest";
import { APP_URL, request, signUp as signUpUser, withTestApp } from "./support/app";

/**
 * The projects API, called through its route handlers with real Requests
 * against a SQLite store in a temp dir, signed in through the real
 * local-account register handler.
 */

withTestApp();

let projectsRoute: typeof import("@/app/api/projects/route");
let projectRoute: typeof import("@/app/api/projects/[id]/route");

beforeAll(async () => {
  projectsRoute = await import("@/app/api/projects/route");
  projectRoute = await import("@/app/api/projects/[id]/route");
});

/** Registers a fresh local account and returns its Cookie header. */
async function signUp(): Promise<string> {
  return (await signUpUser()).cookie;
}

function jsonRequest(method: string, urlPath: string, body?: unknown, cookie?: string): Request {
  return request(method, urlPath, { body: body === undefined ? undefined : JSON.stringify(body), cookie });
}

function rawRequest(method: string, urlPath: string, body?: string, cookie?: string): Request {
  return request(method, urlPath, { body, cookie });
}

const params = (id: string) => ({ params: Promise.resolve({ id }) });

async function createProject(cookie: string, body: unknown): Promise<Response> {
  return projectsRoute.POST(jsonRequest("POST", "/api/projects", body, cookie), undefined);
}

async function expectError(response: Response, status: number, code?: string): Promise<{ error: string; message: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  const body = await response.json();
  expect(typeof body.message).toBe("string");
  expect(body.message.length).toBeGreaterThan(0);
  if (code) expect(body.error).toBe(code);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack
  return body;
}

describe("POST /api/projects", () => {
  it("creates a project for the signed-in user and trims the name", async () => {
    const cookie = await signUp();
    const response = await createProject(cookie, {
      name: "  Todo app  ",
      description: "Tasks with due dates",
      prompt: "Build a todo app",
      framework: "nextjs",
    });
    expect(response.status).toBe(201);
    const { project } = await response.json();
    expect(project).toMatchObject({
      name: "Todo app",
      description: "Tasks with due dates",
      prompt: "Build a todo app",
      framework: "nextjs",
      status: "pending",
    });
    expect(typeof project.id).toBe("string");
  });

  it("answers 401 when signed out", async () => {
    await expectError(await createProject("", { name: "x" }), 401, "unauthorized");
  });

  it("answers 400 for malformed JSON", async () => {
    const cookie = await signUp();
    const response = await projectsRoute.POST(rawRequest("POST", "/api/projects", "{name: nope", cookie), undefined);
    await expectError(response, 400, "invalid_json");
  });

  it("answers 400 for a missing, empty, too long or badly typed name", async () => {
    const cookie = await signUp();
    const missing = await expectError(await createProject(cookie, { description: "no name" }), 400, "invalid_request");
    expect(missing.message).toMatch(/^name: /);
    await expectError(await createProject(cookie, { name: "   " }), 400, "invalid_request");
    const long = await expectError(await createProject(cookie, { name: "a".repeat(200) }), 400, "invalid_request");
    expect(long.message).toContain("80");
    await expectError(await createProject(cookie, { name: 42 }), 400, "invalid_request");
    await expectError(await createProject(cookie, { name: "bad/name" }), 400, "invalid_request");
  });

  it("refuses names that do not read as a name: dots only, no letter or digit, control or invisible characters", async () => {
    const cookie = await signUp();
    for (const name of ["..", ".", "...", " . . ", "-", "_ -"]) {
      const body = await expectError(await createProject(cookie, { name }), 400, "invalid_request");
      expect(body.message).toBe('name: Name must contain at least one letter or digit (a name like ".." is not allowed).');
    }
    for (const name of ["Todo\u0007app", "Todo\u202Eppa", "To\u200Bdo", "\u0085Todo"]) {
      const body = await expectError(await createProject(cookie, { name }), 400, "invalid_request");
      expect(body.message).toBe("name: Name must not contain control or invisible formatting characters.");
    }
    const renamed = await projectRoute.PATCH(
      jsonRequest("PATCH", "/api/projects/x", { name: ".." }, cookie),
      params((await (await createProject(cookie, { name: "Real name" })).json()).project.id),
    );
    await expectError(renamed, 400, "invalid_request");
    // Dots inside a name with letters are fine.
    expect((await createProject(cookie, { name: "..Todo v1.2" })).status).toBe(201);
  });

  it("answers 415 for a body that is not sent as JSON, and accepts a charset", async () => {
    const cookie = await signUp();
    const body = JSON.stringify({ name: "Typed" });
    for (const contentType of ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded"]) {
      const response = await projectsRoute.POST(request("POST", "/api/projects", { body, cookie, headers: { "content-type": contentType } }), undefined);
      const error = await expectError(response, 415, "unsupported_media_type");
      expect(error.message).toContain("Content-Type: application/json");
    }
    const untyped = new Request(`${APP_URL}/api/projects`, { method: "POST", headers: { origin: APP_URL, cookie }, body: new TextEncoder().encode(body) });
    await expectError(await projectsRoute.POST(untyped, undefined), 415, "unsupported_media_type");
    const charset = await projectsRoute.POST(
      request("POST", "/api/projects", { body, cookie, headers: { "content-type": "application/json; charset=utf-8" } }),
      undefined,
    );
    expect(charset.status).toBe(201);
  });

  it("answers 400 for wrong types and over-long optional fields", async () => {
    const cookie = await signUp();
    await expectError(await createProject(cookie, ["not", "an", "object"]), 400, "invalid_request");
    await expectError(await createProject(cookie, { name: "ok", description: 7 }), 400, "invalid_request");
    await expectError(await createProject(cookie, { name: "ok", description: "d".repeat(2001) }), 400);
    await expectError(await createProject(cookie, { name: "ok", prompt: "p".repeat(20_001) }), 400);
    await expectError(await createProject(cookie, { name: "ok", framework: "f".repeat(41) }), 400);
    await expectError(await createProject(cookie, { name: "ok", status: "completed" }), 400);
  });

  it("answers 409 when the user already has a project with that name, but another user may reuse it", async () => {
    const alice = await signUp();
    const bob = await signUp();
    expect((await createProject(alice, { name: "Shop" })).status).toBe(201);
    const taken = await expectError(await createProject(alice, { name: "Shop" }), 409, "name_taken");
    expect(taken.message).toContain("Shop");
    expect((await createProject(bob, { name: "Shop" })).status).toBe(201);
  });

  it("refuses a cross-site request carrying the session cookie", async () => {
    const cookie = await signUp();
    const request = new Request(`${APP_URL}/api/projects`, {
      method: "POST",
      headers: { origin: "https://evil.example", cookie, "content-type": "application/json" },
      body: JSON.stringify({ name: "csrf" }),
    });
    await expectError(await projectsRoute.POST(request, undefined), 403, "csrf");
  });
});

describe("GET /api/projects", () => {
  it("lists only the caller's projects", async () => {
    const alice = await signUp();
    const bob = await signUp();
    await createProject(alice, { name: "Alpha" });
    await createProject(alice, { name: "Beta" });
    await createProject(bob, { name: "Gamma" });

    const response = await projectsRoute.GET(jsonRequest("GET", "/api/projects", undefined, alice), undefined);
    expect(response.status).toBe(200);
    const { projects } = await response.json();
    expect(projects.map((p: { name: string }) => p.name).sort()).toEqual(["Alpha", "Beta"]);
  });

  it("answers 401 when signed out", async () => {
    await expectError(await projectsRoute.GET(jsonRequest("GET", "/api/projects"), undefined), 401);
  });
});

describe("GET and PATCH /api/projects/:id", () => {
  async function aliceWithProject() {
    const alice = await signUp();
    const { project } = await (await createProject(alice, { name: "Owned", description: "before" })).json();
    return { alice, project: project as { id: string; name: string } };
  }

  it("returns the owner's project", async () => {
    const { alice, project } = await aliceWithProject();
    const response = await projectRoute.GET(jsonRequest("GET", `/api/projects/${project.id}`, undefined, alice), params(project.id));
    expect(response.status).toBe(200);
    expect((await response.json()).project).toMatchObject({ id: project.id, name: "Owned" });
  });

  it("answers 404 for another user's project, an unknown id and a malformed id", async () => {
    const { project } = await aliceWithProject();
    const bob = await signUp();
    for (const id of [project.id, "00000000-0000-4000-8000-000000000000", "../../etc/passwd", "x".repeat(500)]) {
      const response = await projectRoute.GET(jsonRequest("GET", `/api/projects/x`, undefined, bob), params(id));
      await expectError(response, 404, "not_found");
    }
  });

  it("answers 401 when signed out", async () => {
    const { project } = await aliceWithProject();
    await expectError(await projectRoute.GET(jsonRequest("GET", "/api/projects/x"), params(project.id)), 401);
  });

  it("renames and re-describes the owner's project", async () => {
    const { alice, project } = await aliceWithProject();
    const response = await projectRoute.PATCH(
      jsonRequest("PATCH", `/api/projects/${project.id}`, { name: "Renamed", description: "after" }, alice),
      params(project.id),
    );
    expect(response.status).toBe(200);
    expect((await response.json()).project).toMatchObject({ name: "Renamed", description: "after" });
    const reread = await projectRoute.GET(jsonRequest("GET", "/x", undefined, alice), params(project.id));
    expect((await reread.json()).project.name).toBe("Renamed");
  });

  it("rejects a bad patch with 400 and a taken name with 409", async () => {
    const { alice, project } = await aliceWithProject();
    await createProject(alice, { name: "Other" });
    const patch = (body: unknown) =>
      projectRoute.PATCH(jsonRequest("PATCH", `/api/projects/${project.id}`, body, alice), params(project.id));
    await expectError(await patch({}), 400, "invalid_request");
    await expectError(await patch({ name: "" }), 400, "invalid_request");
    await expectError(await patch({ description: ["x"] }), 400, "invalid_request");
    await expectError(await patch({ name: "Other" }), 409, "name_taken");
    const malformed = await projectRoute.PATCH(rawRequest("PATCH", "/x", "not json", alice), params(project.id));
    await expectError(malformed, 400, "invalid_json");
  });

  it("remembers the model picked for the project: given at creation, changed, forgotten with null", async () => {
    const alice = await signUp();
    const created = await createProject(alice, { name: "Modeled", model: "platform:openai:gpt-6-luna" });
    expect(created.status).toBe(201);
    const { project } = await created.json();
    expect(project.model).toBe("platform:openai:gpt-6-luna");
    const patch = (body: unknown) =>
      projectRoute.PATCH(jsonRequest("PATCH", `/api/projects/${project.id}`, body, alice), params(project.id));
    const get = async () => (await (await projectRoute.GET(jsonRequest("GET", "/x", undefined, alice), params(project.id))).json()).project;

    expect((await (await patch({ model: "endpoint:abc:qwen3-coder:30b" })).json()).project.model).toBe("endpoint:abc:qwen3-coder:30b");
    expect((await get()).model).toBe("endpoint:abc:qwen3-coder:30b");
    expect((await (await patch({ description: "kept model" })).json()).project.model).toBe("endpoint:abc:qwen3-coder:30b");
    expect((await (await patch({ model: null })).json()).project.model).toBeNull();
    expect((await get()).model).toBeNull();
    const plain = await (await createProject(alice, { name: "Plain" })).json();
    expect(plain.project.model).toBeNull();
  });

  it("refuses a model that is not a string of 1 to 300 characters, naming the field", async () => {
    const alice = await signUp();
    const { project } = await (await createProject(alice, { name: "Strict" })).json();
    const patch = (body: unknown) =>
      projectRoute.PATCH(jsonRequest("PATCH", `/api/projects/${project.id}`, body, alice), params(project.id));
    for (const [model, message] of [
      ["", "model must not be empty."],
      ["m".repeat(301), "model is too long (at most 300 characters)."],
      [42, "model must be a model id (a string) or null."],
    ] as const) {
      expect((await expectError(await patch({ model }), 400, "invalid_request")).message).toBe(message);
      expect((await expectError(await createProject(alice, { name: "Other", model }), 400, "invalid_request")).message).toBe(message);
    }
    expect((await (await patch({ model: "m".repeat(300) })).json()).project.model).toHaveLength(300);
  });

  it("answers 404 when patching another user's project, and leaves it unchanged", async () => {
    const { alice, project } = await aliceWithProject();
    const bob = await signUp();
    const response = await projectRoute.PATCH(
      jsonRequest("PATCH", `/api/projects/${project.id}`, { name: "Hijacked" }, bob),
      params(project.id),
    );
    await expectError(response, 404, "not_found");
    const reread = await projectRoute.GET(jsonRequest("GET", "/x", undefined, alice), params(project.id));
    expect((await reread.json()).project.name).toBe("Owned");
  });
});
