import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { DELETE as deleteEndpoint } from "@/app/api/endpoints/[id]/route";
import { POST as refreshModels } from "@/app/api/endpoints/[id]/models/route";
import { POST as testEndpointRoute } from "@/app/api/endpoints/[id]/test/route";
import { GET as listEndpointsRoute, POST as addEndpointRoute } from "@/app/api/endpoints/route";
import { addEndpoint, MAX_ENDPOINTS_PER_USER } from "@/lib/ai/endpoints";
import type { PublicEndpoint } from "@/lib/ai/model-options";
import { resetEnvForTests } from "@/lib/env";
import { captureLogsForTests } from "@/lib/log";
import { decryptSecret } from "@/lib/secrets/crypto";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";
import { APP_URL, authed, signUp, withTestApp, type SignedUp } from "./support/app";

/**
 * Users' own OpenAI-compatible endpoints, through the route handlers, against the scripted LLM
 * server on 127.0.0.1 — reachable only because AI_ENDPOINT_ALLOWED_PRIVATE allows that address
 * (the last describe block runs without the allowance).
 */

const ENCRYPTION_KEY = randomBytes(32);
const API_KEY = "sk-endpoint-test-0123456789abcdef-WXYZ";
const MODELS = ["qwen3-coder:30b", "llama3.2:3b"];

const app = withTestApp({ AI_ENDPOINT_ALLOWED_PRIVATE: "127.0.0.1", AUTOCREA_ENCRYPTION_KEY: ENCRYPTION_KEY.toString("hex") });

let llm: LlmServer;
let open: LlmServer;
beforeAll(async () => {
  // `llm` wants the key on chat requests (401 otherwise); `open` needs none.
  llm = await startLlmServer({ models: MODELS, apiKey: API_KEY });
  open = await startLlmServer({ models: ["open-model"] });
});
afterAll(async () => {
  await Promise.all([llm.close(), open.close()]);
});
beforeEach(() => {
  for (const server of [llm, open]) {
    server.setFault(null);
    server.setScript({ fallback: "OK" });
    server.reset();
  }
});

const params = (id: string) => ({ params: Promise.resolve({ id }) });

function add(cookie: string, body: unknown) {
  return addEndpointRoute(authed("POST", "/api/endpoints", cookie, body), undefined);
}
function list(cookie: string) {
  return listEndpointsRoute(authed("GET", "/api/endpoints", cookie), undefined);
}
function test(cookie: string, id: string, body: unknown) {
  return testEndpointRoute(authed("POST", `/api/endpoints/${id}/test`, cookie, body), params(id));
}
function refresh(cookie: string, id: string) {
  return refreshModels(authed("POST", `/api/endpoints/${id}/models`, cookie), params(id));
}
function remove(cookie: string, id: string) {
  return deleteEndpoint(authed("DELETE", `/api/endpoints/${id}`, cookie), params(id));
}

type EndpointBody = PublicEndpoint;

async function addOk(user: SignedUp, body: Record<string, unknown>): Promise<EndpointBody> {
  const response = await add(user.cookie, body);
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { endpoint: EndpointBody }).endpoint;
}

async function errorOf(response: Response, status: number, code: string): Promise<{ error: string; message: string; field?: string }> {
  const body = await response.json();
  expect({ status: response.status, error: body.error }, body.message).toEqual({ status, error: code });
  return body;
}

/** A server that answers every request with a 200 HTML page (no OpenAI API at all), counting them. */
async function startHtmlServer(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<html><body>Welcome</body></html>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("adding an endpoint", () => {
  it("lists the server's models from <baseUrl>/models, sending the key as Bearer, and stores the key encrypted", async () => {
    const user = await signUp();
    const response = await add(user.cookie, { name: "  Local vLLM ", baseUrl: `${llm.url}/`, apiKey: API_KEY });
    expect(response.status).toBe(201);
    const text = await response.text();
    expect(text).not.toContain(API_KEY);
    const { endpoint } = JSON.parse(text) as { endpoint: EndpointBody };
    expect(endpoint).toEqual({
      id: expect.any(String),
      name: "Local vLLM",
      baseUrl: llm.url,
      last4: "WXYZ",
      models: MODELS,
      createdAt: expect.any(Number),
    });
    expect(llm.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/models"]);
    expect(llm.requests[0].headers.authorization).toBe(`Bearer ****${API_KEY.slice(-4)}`);

    const listed = await list(user.cookie);
    expect(listed.status).toBe(200);
    const listedText = await listed.text();
    expect(listedText).not.toContain(API_KEY);
    expect(listedText).not.toContain("ciphertext");
    expect(JSON.parse(listedText)).toEqual({ endpoints: [endpoint] });

    const db = new Database(path.join(app.dataDir, "autocrea.db"), { readonly: true });
    try {
      const row = db.prepare("SELECT * FROM ai_endpoints WHERE id = ?").get(endpoint.id) as Record<string, unknown>;
      expect(JSON.stringify(row)).not.toContain(API_KEY);
      expect(row).toMatchObject({ user_id: user.userId, base_url: llm.url, last4: "WXYZ", models: JSON.stringify(MODELS) });
      expect(row.ciphertext).toMatch(/^v1:/);
      const context = `endpoint:${user.userId}:${llm.url}`;
      expect(decryptSecret(row.ciphertext as string, { key: ENCRYPTION_KEY, context })).toBe(API_KEY);
      // Bound to its user and address: under another context it does not decrypt.
      expect(() => decryptSecret(row.ciphertext as string, { key: ENCRYPTION_KEY, context: `endpoint:${user.userId}:https://evil.example/v1` })).toThrow();
    } finally {
      db.close();
    }
  });

  it("adds an endpoint without a key: no Authorization header, last4 null; typed models come first", async () => {
    const user = await signUp();
    const endpoint = await addOk(user, { name: "Open", baseUrl: open.url, apiKey: "", models: ["typed-model", "open-model"] });
    expect(endpoint).toMatchObject({ last4: null, models: ["typed-model", "open-model"] });
    expect(open.requests[0].headers.authorization).toBeUndefined();
  });

  it("adds a server that answers without a /models list with the models typed, and asks for them otherwise", async () => {
    const user = await signUp();
    const html = await startHtmlServer();
    try {
      for (const baseUrl of [`${open.url.replace(/\/v1$/, "")}/no-api`, `${html.url}/v1`]) {
        const refused = await errorOf(await add(user.cookie, { name: "Bare", baseUrl }), 400, "models_required");
        expect(refused.message).toMatch(/^The endpoint at 127\.0\.0\.1:\d+ did not list its models \(.+\); type the model names\.$/);
        expect(refused.field).toBe("models");
        const added = await addOk(user, { name: "Bare", baseUrl, models: ["my-model"] });
        expect(added.models).toEqual(["my-model"]);
      }
      expect(html.hits).toEqual(["GET /v1/models", "GET /v1/models"]);
    } finally {
      await html.close();
    }
  });

  it("names the host of an endpoint that cannot be reached, never the raw error (which goes to the log)", async () => {
    const user = await signUp();
    const port = await closedPort();
    const logged = captureLogsForTests("debug");
    let refused: { message: string };
    try {
      refused = await errorOf(await add(user.cookie, { name: "Down", baseUrl: `http://127.0.0.1:${port}/v1`, models: ["m"] }), 502, "endpoint_unreachable");
    } finally {
      logged.restore();
    }
    expect(refused.message).toBe(`Could not reach the endpoint at 127.0.0.1:${port}: nothing is listening at that address (connection refused).`);
    expect(refused.message).not.toMatch(/ECONNREFUSED|fetch failed/);
    expect(logged.entries().find((e) => e.msg === "AI endpoint could not be reached")).toMatchObject({
      level: "warn",
      host: `127.0.0.1:${port}`,
      code: "ECONNREFUSED",
    });

    const unknownHost = await errorOf(await add(user.cookie, { name: "Nowhere", baseUrl: "https://nonexistent.invalid/v1" }), 502, "endpoint_unreachable");
    expect(unknownHost.message).toMatch(/^Could not reach the endpoint at nonexistent\.invalid: /);
    expect((await (await list(user.cookie)).json()).endpoints).toEqual([]);
  });

  it("gives up on an endpoint that does not answer within 5 seconds", async () => {
    const user = await signUp();
    const silent = http.createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const refused = await errorOf(await add(user.cookie, { name: "Silent", baseUrl: `http://127.0.0.1:${port}/v1`, models: ["m"] }), 502, "endpoint_unreachable");
      expect(refused.message).toBe(`Could not reach the endpoint at 127.0.0.1:${port}: it did not answer within 5 seconds.`);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("keeps at most 200 of the models a server lists, skipping ids that are too long or repeated", async () => {
    const user = await signUp();
    const many = Array.from({ length: 250 }, (_, i) => `model-${i}`);
    const big = await startLlmServer({ models: ["x".repeat(201), "model-0", ...many] });
    try {
      const endpoint = await addOk(user, { name: "Big gateway", baseUrl: big.url });
      expect(endpoint.models).toEqual(many.slice(0, 200));
    } finally {
      await big.close();
    }
  });

  it("refuses the cloud metadata address and other private addresses the allowance does not name, calling nothing", async () => {
    const user = await signUp();
    for (const baseUrl of ["http://169.254.169.254/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1:8000/v1", "http://[::1]:11434/v1"]) {
      const refused = await errorOf(await add(user.cookie, { name: "Sneaky", baseUrl, models: ["m"] }), 400, "endpoint_refused");
      expect(refused.message).toMatch(/this server only calls endpoints on the public internet\.$/);
    }
    const scheme = await errorOf(await add(user.cookie, { name: "Ftp", baseUrl: "ftp://127.0.0.1/v1", models: ["m"] }), 400, "endpoint_refused");
    expect(scheme.message).toBe("The endpoint URL must start with http:// or https://.");
    expect((await (await list(user.cookie)).json()).endpoints).toEqual([]);
  });

  it("says when the server refuses the key, and stores nothing", async () => {
    const user = await signUp();
    // The fixture checks the key on its chat route only: this gateway checks it on /models.
    const gateway = http.createServer((req, res) => {
      res.writeHead(req.headers.authorization === `Bearer ${API_KEY}` ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "gated-model" }] }));
    });
    await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/v1`;
    try {
      const wrong = await errorOf(await add(user.cookie, { name: "Gated", baseUrl, apiKey: "sk-wrong-key" }), 400, "endpoint_key_refused");
      expect(wrong.message).toMatch(/^The endpoint at 127\.0\.0\.1:\d+ refused the API key \(HTTP 401\)\.$/);
      const none = await errorOf(await add(user.cookie, { name: "Gated", baseUrl }), 400, "endpoint_key_refused");
      expect(none.message).toMatch(/asks for an API key; give one \(HTTP 401\)\.$/);
      expect((await addOk(user, { name: "Gated", baseUrl, apiKey: API_KEY })).models).toEqual(["gated-model"]);
    } finally {
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
    }
  });

  it("answers 503 without calling the endpoint when the server cannot encrypt keys", async () => {
    const user = await signUp();
    process.env.AUTOCREA_ENCRYPTION_KEY = "";
    resetEnvForTests();
    try {
      const refused = await errorOf(await add(user.cookie, { name: "Keyed", baseUrl: llm.url, apiKey: API_KEY }), 503, "encryption_unavailable");
      expect(refused.message).toMatch(/AUTOCREA_ENCRYPTION_KEY/);
      expect(llm.requests).toEqual([]);
    } finally {
      process.env.AUTOCREA_ENCRYPTION_KEY = ENCRYPTION_KEY.toString("hex");
      resetEnvForTests();
    }
  });

  it(`allows at most ${MAX_ENDPOINTS_PER_USER} endpoints per user`, async () => {
    const user = await signUp();
    for (let i = 0; i < MAX_ENDPOINTS_PER_USER; i++) await addEndpoint(user.userId, { name: `Endpoint ${i}`, baseUrl: open.url });
    const refused = await errorOf(await add(user.cookie, { name: "One too many", baseUrl: open.url }), 409, "too_many_endpoints");
    expect(refused.message).toBe(`You already have ${MAX_ENDPOINTS_PER_USER} AI endpoints, the most allowed; remove one before adding another.`);
  });

  it("names the field of invalid input", async () => {
    const user = await signUp();
    const cases: [unknown, string][] = [
      [{ baseUrl: open.url }, "name is required."],
      [{ name: "   ", baseUrl: open.url }, "name must not be empty."],
      [{ name: "n".repeat(61), baseUrl: open.url }, "name is too long (at most 60 characters)."],
      [{ name: "evil\u202Eeman", baseUrl: open.url }, "name must not contain control or invisible characters."],
      [{ name: 7, baseUrl: open.url }, "name must be a string."],
      [{ name: "No URL" }, "baseUrl is required."],
      [{ name: "Bad key", baseUrl: open.url, apiKey: "sk has spaces" }, "apiKey must not contain spaces."],
      [{ name: "Bad models", baseUrl: open.url, models: "qwen" }, "models must be a list of model names."],
      [{ name: "Bad models", baseUrl: open.url, models: [""] }, "models.0: model name must not be empty."],
      [{ name: "Bad models", baseUrl: open.url, models: ["m".repeat(201)] }, "models.0: model name is too long (at most 200 characters)."],
      [{ name: "Bad models", baseUrl: open.url, models: ["line\nbreak"] }, "models.0: model name must not contain control or invisible characters."],
    ];
    for (const [body, message] of cases) {
      const refused = await errorOf(await add(user.cookie, body), 400, "invalid_request");
      expect(refused.message).toBe(message);
    }
    const notUrl = await errorOf(await add(user.cookie, { name: "Not a URL", baseUrl: "not a url" }), 400, "endpoint_refused");
    expect(notUrl.message).toMatch(/^The endpoint URL is not a valid URL/);
    expect(open.requests).toEqual([]);
  });

  it("requires a session and refuses cross-site writes", async () => {
    expect((await listEndpointsRoute(new Request(new URL("/api/endpoints", APP_URL)), undefined)).status).toBe(401);
    const user = await signUp();
    const crossSite = await addEndpointRoute(
      authed("POST", "/api/endpoints", user.cookie, { name: "X", baseUrl: open.url }, { origin: "https://evil.example" }),
      undefined,
    );
    expect(crossSite.status).toBe(403);
    expect(open.requests).toEqual([]);
  });
});

describe("testing, refreshing and deleting an endpoint", () => {
  it("Test makes a real completion with the key and returns its sample", async () => {
    const user = await signUp();
    const endpoint = await addOk(user, { name: "Local vLLM", baseUrl: llm.url, apiKey: API_KEY });
    llm.reset();
    llm.setScript({ fallback: "OK." });

    const response = await test(user.cookie, endpoint.id, { model: "llama3.2:3b" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, model: "llama3.2:3b", sample: "OK." });
    expect(llm.requests).toHaveLength(1);
    const call = llm.requests[0];
    expect(call).toMatchObject({ method: "POST", path: "/v1/chat/completions" });
    expect(call.headers.authorization).toBe(`Bearer ****${API_KEY.slice(-4)}`);
    expect(call.body).toMatchObject({ model: "llama3.2:3b", max_tokens: 16, messages: [{ role: "user", content: "Reply with OK." }] });
  });

  it("says in a sentence why the test failed; the endpoint's own text stays out of the answer", async () => {
    const user = await signUp();
    const endpoint = await addOk(user, { name: "Local vLLM", baseUrl: llm.url, apiKey: API_KEY });
    llm.setFault({ fault: { kind: "status", status: 401, message: `Incorrect API key provided: ${API_KEY}.` } });
    const logged = captureLogsForTests("debug");
    let text: string;
    try {
      const response = await test(user.cookie, endpoint.id, { model: MODELS[0] });
      expect(response.status).toBe(502);
      text = await response.text();
    } finally {
      logged.restore();
    }
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain("Incorrect API key");
    expect(JSON.parse(text)).toMatchObject({
      error: "endpoint_test_failed",
      message: 'The endpoint "Local vLLM" refused the API key (HTTP 401).',
      model: MODELS[0],
    });
    expect(logged.lines.join("")).not.toContain(API_KEY);
    expect(logged.entries().find((e) => e.msg === "AI endpoint test failed")).toMatchObject({
      level: "warn",
      model: MODELS[0],
      code: "http_401",
      error: "http_401: Incorrect API key provided: [redacted].",
    });

    llm.setFault({ fault: { kind: "status", status: 503 } });
    const down = await errorOf(await test(user.cookie, endpoint.id, { model: MODELS[0] }), 502, "endpoint_test_failed");
    expect(down.message).toBe('The endpoint "Local vLLM" had a server error (HTTP 503).');
  });

  it("tests only one of the endpoint's models, and validates the model", async () => {
    const user = await signUp();
    const endpoint = await addOk(user, { name: "Local vLLM", baseUrl: llm.url, apiKey: API_KEY });
    llm.reset();
    const unknown = await errorOf(await test(user.cookie, endpoint.id, { model: "gpt-6-luna" }), 400, "unknown_model");
    expect(unknown.message).toBe(`"gpt-6-luna" is not one of this endpoint's models; pick one of them or refresh its models.`);
    expect((await errorOf(await test(user.cookie, endpoint.id, {}), 400, "invalid_request")).message).toBe("model is required.");
    expect((await errorOf(await test(user.cookie, endpoint.id, { model: "" }), 400, "invalid_request")).message).toBe("model must not be empty.");
    expect(llm.requests).toEqual([]);
  });

  it("refreshing replaces the models with those the endpoint lists now", async () => {
    const user = await signUp();
    const endpoint = await addOk(user, { name: "Open", baseUrl: open.url, models: ["typed-model"] });
    expect(endpoint.models).toEqual(["typed-model", "open-model"]);
    const response = await refresh(user.cookie, endpoint.id);
    expect(response.status).toBe(200);
    expect((await response.json()).endpoint).toEqual({ ...endpoint, models: ["open-model"] });
    expect((await (await list(user.cookie)).json()).endpoints[0].models).toEqual(["open-model"]);
  });

  it("deletes an endpoint; once gone it is a 404", async () => {
    const user = await signUp();
    const endpoint = await addOk(user, { name: "Open", baseUrl: open.url });
    const deleted = await remove(user.cookie, endpoint.id);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: true });
    expect((await (await list(user.cookie)).json()).endpoints).toEqual([]);
    await errorOf(await remove(user.cookie, endpoint.id), 404, "not_found");
    await errorOf(await test(user.cookie, endpoint.id, { model: "open-model" }), 404, "not_found");
  });

  it("another user can neither see, test, refresh nor delete it", async () => {
    const owner = await signUp();
    const intruder = await signUp();
    const endpoint = await addOk(owner, { name: "Private", baseUrl: llm.url, apiKey: API_KEY });
    llm.reset();

    expect((await (await list(intruder.cookie)).json()).endpoints).toEqual([]);
    await errorOf(await test(intruder.cookie, endpoint.id, { model: MODELS[0] }), 404, "not_found");
    await errorOf(await refresh(intruder.cookie, endpoint.id), 404, "not_found");
    await errorOf(await remove(intruder.cookie, endpoint.id), 404, "not_found");
    for (const id of ["../../etc/passwd", "x".repeat(500)]) await errorOf(await remove(owner.cookie, id), 404, "not_found");
    expect(llm.requests).toEqual([]);
    expect((await (await list(owner.cookie)).json()).endpoints).toEqual([endpoint]);
  });
});

describe("without AI_ENDPOINT_ALLOWED_PRIVATE", () => {
  // The guard reads the allowance once per process: these tests load the app afresh with none.
  let freshAdd: typeof addEndpointRoute;
  let freshResetStore: () => Promise<void>;
  beforeAll(async () => {
    process.env.AI_ENDPOINT_ALLOWED_PRIVATE = "";
    vi.resetModules();
    freshAdd = (await import("@/app/api/endpoints/route")).POST;
    freshResetStore = (await import("@/lib/store")).resetStoreForTests;
  });
  afterEach(() => {
    llm.reset();
  });
  afterAll(async () => {
    await freshResetStore();
    process.env.AI_ENDPOINT_ALLOWED_PRIVATE = "127.0.0.1";
  });

  it("refuses an endpoint on 127.0.0.1 or localhost with 400 endpoint_refused, and the server receives no request", async () => {
    const user = await signUp();
    for (const baseUrl of [llm.url, llm.url.replace("127.0.0.1", "localhost")]) {
      const response = await freshAdd(authed("POST", "/api/endpoints", user.cookie, { name: "Local", baseUrl, apiKey: API_KEY, models: ["m"] }), undefined);
      const refused = await errorOf(response, 400, "endpoint_refused");
      expect(refused.message).toMatch(/(address 127\.0\.0\.1 is|host localhost resolves to) a loopback address; this server only calls endpoints on the public internet\.$/);
    }
    expect(llm.requests).toEqual([]);
  });
});
