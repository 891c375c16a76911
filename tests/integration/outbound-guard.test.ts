import http from "node:http";
import type { AddressInfo } from "node:net";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toErrorResponse } from "@/lib/http/errors";
import { createGuardedFetch, OutboundRefusedError } from "@/lib/http/outbound-guard";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";

/**
 * The guard on real sockets: a local server on 127.0.0.1 stands for the server's own network. Each
 * server counts the requests it receives, so a refusal is seen to send nothing.
 */

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

async function startServer(answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<TestServer> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** What a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

let api: TestServer;
let redirecting: TestServer;
let target: TestServer;

beforeAll(async () => {
  api = await startServer((req, res, body) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
  });
  target = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data: [] }));
  });
  redirecting = await startServer((_req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${target.port}/v1/models` });
    res.end("moved");
  });
});

afterAll(async () => {
  await Promise.all([api.close(), redirecting.close(), target.close()]);
});

describe("with no allowance", () => {
  const guarded = createGuardedFetch({ allowed: "" });

  it.each([
    ["an IPv4 literal", (port: number) => `http://127.0.0.1:${port}/v1/models`, /^The endpoint address 127\.0\.0\.1 is a loopback address; /],
    ["an IPv4-mapped IPv6 literal", (port: number) => `http://[::ffff:127.0.0.1]:${port}/v1/models`, /^The endpoint address ::ffff:7f00:1 is an IPv6 form of 127\.0\.0\.1, a loopback address; /],
    ["an integer IPv4 spelling", (port: number) => `http://2130706433:${port}/v1/models`, /^The endpoint address 127\.0\.0\.1 is a loopback address; /],
    // Not an IP literal: refused in the connection's lookup, on the address it resolves to.
    ["localhost", (port: number) => `http://localhost:${port}/v1/models`, /^The endpoint host localhost resolves to a loopback address; /],
  ])("refuses %s, and the server receives nothing", async (_what, url, message) => {
    const before = api.received.length;
    const err = await rejection(guarded(url(api.port)));
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as Error).message).toMatch(message);
    expect(api.received.length).toBe(before);
  });

  it("refuses https://localhost in the TLS connection's lookup too", async () => {
    // The server speaks plain HTTP: were the name not looked up through the guard, the TLS handshake would fail instead.
    const err = await rejection(guarded(`https://localhost:${api.port}/v1/models`));
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as Error).message).toMatch(/^The endpoint host localhost resolves to a loopback address; /);
  });

  it("refuses a Request object for a loopback URL", async () => {
    const err = await rejection(guarded(new Request(`http://localhost:${api.port}/v1/models`)));
    expect(err).toBeInstanceOf(OutboundRefusedError);
  });

  it("gives a route a 400 answer with the sentence", async () => {
    const err = await rejection(guarded(`http://localhost:${api.port}/v1/models`));
    const response = toErrorResponse(err);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "endpoint_refused", message: expect.stringMatching(/^The endpoint host localhost resolves to a loopback address/) });
  });

  it("refuses a URL that is not http(s)", async () => {
    await expect(guarded("file:///etc/passwd")).rejects.toThrow("The endpoint URL must start with http:// or https://.");
  });

  it("lets a name that does not resolve fail as fetch does", async () => {
    const err = await rejection(guarded("http://no-such-host.invalid/v1/models"));
    expect(err).toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(OutboundRefusedError);
  });
});

describe("with 127.0.0.1 allowed", () => {
  const guarded = createGuardedFetch({ allowed: "127.0.0.1" });

  it("calls the local server", async () => {
    const response = await guarded(`http://127.0.0.1:${api.port}/v1/models`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: "GET", url: "/v1/models" });
  });

  it("passes the request's method, headers and body through unchanged", async () => {
    const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "héllo ✓" }] });
    const response = await guarded(`http://127.0.0.1:${api.port}/v1/chat/completions?api-version=2`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-test-1234", "x-custom": "a, b" },
      body,
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe("POST");
    expect(echoed.url).toBe("/v1/chat/completions?api-version=2");
    expect(echoed.headers).toMatchObject({ "content-type": "application/json", authorization: "Bearer sk-test-1234", "x-custom": "a, b" });
    expect(echoed.body).toBe(body);
  });

  it("passes a Request object's method, headers and body through", async () => {
    const request = new Request(`http://127.0.0.1:${api.port}/v1/embeddings`, {
      method: "PUT",
      headers: { "x-custom": "from-request" },
      body: "raw text",
    });
    const echoed = (await (await guarded(request)).json()) as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(echoed).toMatchObject({ method: "PUT", url: "/v1/embeddings", body: "raw text" });
    expect(echoed.headers["x-custom"]).toBe("from-request");
  });

  it("still refuses another loopback address", async () => {
    await expect(guarded(`http://127.0.0.2:${api.port}/v1/models`)).rejects.toBeInstanceOf(OutboundRefusedError);
  });

  it("refuses a redirect, and its target receives no request", async () => {
    const before = { redirecting: redirecting.received.length, target: target.received.length };
    const err = await rejection(guarded(`http://127.0.0.1:${redirecting.port}/v1/models`));
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as Error).message).toBe("The endpoint answered with a redirect; give its final address.");
    expect(redirecting.received.length).toBe(before.redirecting + 1);
    expect(target.received.length).toBe(before.target);
  });

  it("refuses a redirect even when the caller asks to follow it", async () => {
    const before = target.received.length;
    await expect(guarded(`http://127.0.0.1:${redirecting.port}/v1/models`, { redirect: "follow" })).rejects.toBeInstanceOf(OutboundRefusedError);
    expect(target.received.length).toBe(before);
  });
});

describe("with a host or * allowed", () => {
  it("a listed host name is called whatever it resolves to", async () => {
    const response = await createGuardedFetch({ allowed: "localhost" })(`http://localhost:${api.port}/v1/models`);
    expect(response.status).toBe(200);
  });

  it("* allows every address", async () => {
    const guarded = createGuardedFetch({ allowed: "*" });
    expect((await guarded(`http://localhost:${api.port}/v1/models`)).status).toBe(200);
    expect((await guarded(`http://127.0.0.1:${api.port}/v1/models`)).status).toBe(200);
  });
});

describe("as an AI SDK provider's fetch", () => {
  let llm: LlmServer;

  beforeAll(async () => {
    llm = await startLlmServer({ script: { fallback: "Hello from the endpoint." } });
  });

  afterAll(async () => {
    await llm.close();
  });

  const modelWith = (fetch: typeof globalThis.fetch) =>
    createOpenAICompatible({ name: "user-endpoint", baseURL: llm.url, apiKey: "user-key", fetch }).chatModel("m");

  it("answers when the address is allowed", async () => {
    const result = await generateText({ model: modelWith(createGuardedFetch({ allowed: "127.0.0.1" })), prompt: "Say hello." });
    expect(result.text).toBe("Hello from the endpoint.");
  });

  it("rejects with the OutboundRefusedError itself, unretried, when it is not", async () => {
    const before = llm.requests.length;
    const err = await rejection(generateText({ model: modelWith(createGuardedFetch({ allowed: "" })), prompt: "Say hello." }));
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect(llm.requests.length).toBe(before);
  });
});
