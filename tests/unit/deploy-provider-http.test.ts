import { describe, expect, it } from "vitest";
import { deployClient } from "@/lib/deploy/providers";
import { httpError, providerRequest } from "@/lib/deploy/providers/http";
import { DeployProviderError } from "@/lib/deploy/types";
import { captureLogsForTests, withLogContext } from "@/lib/log";

const TOKEN = "tok_SECRET_9f8e7d6c5b4a";

function fetchAnswering(status: number, body: unknown): typeof fetch & { calls: number } {
  const fn = (async () => {
    fn.calls++;
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch & { calls: number };
  fn.calls = 0;
  return fn;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("provider failures in the server log", () => {
  it("logs each failed attempt with provider, host, path, status, code and the provider's text, token scrubbed", async () => {
    const logs = captureLogsForTests("debug");
    try {
      const answering = fetchAnswering(503, { error: { message: `busy, token ${TOKEN}` } });
      await withLogContext({ requestId: "deploy-req-1", userId: "user-7" }, () =>
        rejection(
          providerRequest("vercel", { baseUrl: "https://api.vercel.test", fetch: answering, retryDelaysMs: [1] }, { method: "POST", path: "/v13/deployments?teamId=t1", token: TOKEN, retry: true }),
        ),
      );
      expect(logs.lines.join("")).not.toContain(TOKEN);
      const entries = logs.entries().filter((entry) => entry.msg === "deploy provider call failed");
      expect(entries).toHaveLength(2);
      expect(entries[0]).toMatchObject({
        level: "warn",
        requestId: "deploy-req-1",
        userId: "user-7",
        provider: "vercel",
        host: "api.vercel.test",
        method: "POST",
        path: "/v13/deployments",
        status: 503,
        code: "unavailable",
        error: expect.stringContaining("busy, token [redacted]"),
        retryInMs: 1,
      });
      expect(entries[1]).not.toHaveProperty("retryInMs");
    } finally {
      logs.restore();
    }
  });
});

describe("provider HTTP errors", () => {
  it.each([
    [401, "unauthorized", false],
    [403, "unauthorized", false],
    [404, "not_found", false],
    [409, "bad_request", false],
    [422, "bad_request", false],
    [429, "rate_limited", true],
    [500, "unavailable", true],
    [503, "unavailable", true],
  ] as const)("maps HTTP %i to %s (retryable %s)", (status, code, retryable) => {
    const err = httpError("netlify", status, { code: status, message: "provider says no" }, TOKEN);
    expect(err.options.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.options.status).toBe(status);
    expect(err.message).toContain("provider says no");
  });

  it("scrubs a token the provider echoes back in its error body, for every provider's error shape", async () => {
    const bodies = [
      { error: { code: "forbidden", message: `The token ${TOKEN} is invalid` } },
      { code: 401, message: `Access Denied for ${TOKEN}` },
      { errors: [{ message: `Not Authorized: ${TOKEN}` }] },
      `plain text with ${TOKEN}`,
    ];
    for (const body of bodies) {
      for (const status of [400, 401, 500]) {
        const err = await rejection(
          providerRequest("vercel", { baseUrl: "http://provider.test", fetch: fetchAnswering(status, body), retryDelaysMs: [] }, { method: "GET", path: "/x", token: TOKEN, retry: true }),
        );
        expect(err).toBeInstanceOf(DeployProviderError);
        expect((err as Error).message).not.toContain(TOKEN);
        expect((err as Error).message).toContain("[redacted]");
      }
    }
  });

  it("scrubs the token from the error GraphQL errors produce (Railway)", async () => {
    const client = deployClient("railway", { baseUrl: "http://railway.test", fetch: fetchAnswering(200, { data: null, errors: [{ message: `Invalid token ${TOKEN}` }] }) });
    const err = (await rejection(client.status(TOKEN, "p/e/s/d"))) as DeployProviderError;
    expect(err.options.code).toBe("unauthorized");
    expect(err.message).not.toContain(TOKEN);
  });

  it("turns a network failure into a retryable error, retried, with the token scrubbed from the message", async () => {
    let calls = 0;
    const failing = (async () => {
      calls++;
      throw new TypeError(`fetch failed (Bearer ${TOKEN})`);
    }) as unknown as typeof fetch;
    const err = (await rejection(
      providerRequest("netlify", { baseUrl: "http://provider.test", fetch: failing, retryDelaysMs: [1, 1] }, { method: "GET", path: "/x", token: TOKEN, retry: true }),
    )) as DeployProviderError;
    expect(calls).toBe(3);
    expect(err.retryable).toBe(true);
    expect(err.options.code).toBe("unavailable");
    expect(err.message).not.toContain(TOKEN);
  });

  it("does not retry calls that are not marked retryable", async () => {
    const fetch500 = fetchAnswering(500, { message: "boom" });
    await rejection(providerRequest("netlify", { baseUrl: "http://provider.test", fetch: fetch500, retryDelaysMs: [1, 1] }, { method: "POST", path: "/x", token: TOKEN, retry: false }));
    expect(fetch500.calls).toBe(1);
  });

  it("stops at once when the caller aborts, without retrying", async () => {
    const controller = new AbortController();
    let calls = 0;
    const hanging = ((_url: string, init: RequestInit) => {
      calls++;
      return new Promise((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    }) as unknown as typeof fetch;
    const pending = providerRequest("vercel", { baseUrl: "http://provider.test", fetch: hanging, retryDelaysMs: [1, 1] }, {
      method: "GET",
      path: "/x",
      token: TOKEN,
      retry: true,
      signal: controller.signal,
    });
    controller.abort(new Error("user canceled"));
    const err = await rejection(pending);
    expect(err).not.toBeInstanceOf(DeployProviderError);
    expect((err as Error).message).toBe("user canceled");
    expect(calls).toBe(1);
  });

  it("times out a hanging call as a retryable error", async () => {
    const hanging = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)))) as unknown as typeof fetch;
    const err = (await rejection(
      providerRequest("railway", { baseUrl: "http://provider.test", fetch: hanging, timeoutMs: 20, retryDelaysMs: [] }, { method: "GET", path: "/x", token: TOKEN, retry: true }),
    )) as DeployProviderError;
    expect(err).toBeInstanceOf(DeployProviderError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("timed out");
  });
});

describe("deployClient", () => {
  it("defaults each provider to its public API and sends the token as a Bearer header", async () => {
    const seen: string[] = [];
    const recorder = (async (url: string, init: RequestInit) => {
      seen.push(`${url} ${(init.headers as Record<string, string>).authorization}`);
      return new Response(JSON.stringify({ id: "x", readyState: "READY", url: "x.vercel.app", state: "ready", site_id: "s", data: { deployment: { id: "x", status: "SUCCESS" } } }), { status: 200 });
    }) as unknown as typeof fetch;
    await deployClient("vercel", { fetch: recorder }).status(TOKEN, "dpl_1");
    await deployClient("netlify", { fetch: recorder }).status(TOKEN, "s/d");
    await deployClient("railway", { fetch: recorder }).status(TOKEN, "p/e/s/d");
    expect(seen.map((s) => s.split(" ")[0])).toEqual([
      expect.stringMatching(/^https:\/\/api\.vercel\.com\/v13\/deployments\/dpl_1(\?teamId=.*)?$/),
      "https://api.netlify.com/api/v1/deploys/d",
      "https://backboard.railway.com/graphql/v2",
    ]);
    for (const s of seen) expect(s.endsWith(`Bearer ${TOKEN}`)).toBe(true);
  });
});

describe("what a deployment's log tells its user about a provider failure", () => {
  it("says what kind of failure it was, with the status, and never the provider's own text", async () => {
    const { describeProviderError } = await import("@/lib/deploy/logs");
    const raw = "internal: pod vrc-iad1-7f3 crashed (trace 9a1b) token=abc";
    const cases: [DeployProviderError | Error, RegExp][] = [
      [new DeployProviderError("vercel", raw, { status: 502, retryable: true, code: "unavailable" }), /^Vercel is unavailable \(HTTP 502\); try again later\.$/],
      [new DeployProviderError("vercel", raw, { status: 400, retryable: false, code: "bad_request" }), /^Vercel refused the request \(HTTP 400\)\./],
      [new DeployProviderError("vercel", raw, { status: 429, retryable: true, code: "rate_limited" }), /^Vercel is limiting requests \(HTTP 429\)/],
      [new DeployProviderError("vercel", raw, { status: 500, retryable: true }), /^Vercel answered with an error \(HTTP 500\)/],
      [new Error(`connect ECONNREFUSED 10.0.0.7:443 ${raw}`), /^Could not reach Vercel; try again later\.$/],
    ];
    for (const [err, expected] of cases) {
      const text = describeProviderError("Vercel", err);
      expect(text).toMatch(expected);
      expect(text).not.toContain("pod vrc");
      expect(text).not.toContain("10.0.0.7");
    }
  });
});
