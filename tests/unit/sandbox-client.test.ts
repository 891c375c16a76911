import { afterEach, describe, expect, it, vi } from "vitest";
import { createRunnerClient, RunnerAbortedError, RunnerRequestError, RunnerUnavailableError } from "@/lib/sandbox/client";
import { runnerClient } from "@/lib/sandbox";
import { loadEnv } from "@/lib/env";
import { isValidRequestId, withLogContext } from "@/lib/log";
import { RequestAuthenticator } from "../../sandbox-runner/src/auth/request-auth";
import { sha256Hex } from "../../sandbox-runner/src/auth/signing";

const SECRET = "s".repeat(64);

interface Captured {
  method: string;
  pathWithQuery: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that records what the client sent and answers with `reply`. */
function recordingFetch(reply: (req: Captured) => Response = () => Response.json({ ok: true })) {
  const sent: Captured[] = [];
  const fetchImpl = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const captured: Captured = {
      method: init?.method ?? "GET",
      pathWithQuery: url.pathname + url.search,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: init?.body === undefined || init?.body === null ? undefined : String(init.body),
    };
    sent.push(captured);
    return reply(captured);
  });
  return { sent, fetch: fetchImpl as unknown as typeof fetch };
}

/** The runner's own verifier, applied to what the app's client sent. */
function runnerVerdict(auth: RequestAuthenticator, req: Captured) {
  return (
    auth.precheck(req.headers) ?? auth.verify(req.headers, req.method, req.pathWithQuery, sha256Hex(req.body)) ?? "ok"
  );
}

describe("runner client signing", () => {
  it("signs every call so that the runner's verifier accepts it, once", async () => {
    const { sent, fetch } = recordingFetch();
    const client = createRunnerClient({ url: "http://runner.test:4100", secret: SECRET, fetch });
    await client.health();
    await client.runtimes();
    await client.execute({ language: "python", files: [{ path: "main.py", content: "print(1)" }] });
    await client.createSession({ userId: "user-1" });
    await client.writeFiles("sess/1", [{ path: "a.txt", content: "é" }], ["old.txt"]);
    await client.runCommand("sess/1", { command: "cat a.txt" });
    await client.runCommand("sess/1", { command: "cat a.txt" });
    await client.deleteSession("sess/1");

    expect(sent.map((r) => `${r.method} ${r.pathWithQuery}`)).toEqual([
      "GET /v1/health",
      "GET /v1/runtimes",
      "POST /v1/execute",
      "POST /v1/sessions",
      "PUT /v1/sessions/sess%2F1/files",
      "POST /v1/sessions/sess%2F1/commands",
      "POST /v1/sessions/sess%2F1/commands",
      "DELETE /v1/sessions/sess%2F1",
    ]);
    const auth = new RequestAuthenticator(SECRET);
    for (const req of sent) expect(runnerVerdict(auth, req), `${req.method} ${req.pathWithQuery}`).toBe("ok");
    // Identical requests carry different nonces, so neither is mistaken for a replay; a real replay is refused.
    expect(sent[5]!.headers["x-runner-signature"]).not.toBe(sent[6]!.headers["x-runner-signature"]);
    expect(runnerVerdict(auth, sent[5]!)).toBe("replayed");
  });

  it("produces signatures the runner refuses when anything was changed or the secret differs", async () => {
    const { sent, fetch } = recordingFetch();
    await createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch }).createSession({ userId: "u" });
    const [req] = sent;
    expect(runnerVerdict(new RequestAuthenticator(SECRET), { ...req!, body: '{"userId":"admin"}' })).toBe("bad_signature");
    expect(runnerVerdict(new RequestAuthenticator(SECRET), { ...req!, pathWithQuery: "/v1/execute" })).toBe("bad_signature");
    expect(runnerVerdict(new RequestAuthenticator("t".repeat(64)), req!)).toBe("bad_signature");
    const later = () => Math.floor(Date.now() / 1000) + 120;
    expect(runnerVerdict(new RequestAuthenticator(SECRET, later), req!)).toBe("stale");
  });

  it("issues terminal tickets the runner accepts for that session and user only", () => {
    const client = createRunnerClient({
      url: "http://runner.internal:4100",
      publicUrl: "https://runner.example.com",
      secret: SECRET,
      fetch: recordingFetch().fetch,
    });
    const issued = client.issuePtyTicket("abc", "user-1");
    const url = new URL(issued.url);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe("wss://runner.example.com/v1/sessions/abc/pty");
    expect(url.searchParams.get("ticket")).toBe(issued.ticket);
    expect(issued.expiresAt).toBeGreaterThan(Date.now());

    const auth = new RequestAuthenticator(SECRET);
    expect(auth.verifyTicket(issued.ticket, "other-session")).toMatchObject({ ok: false });
    expect(auth.verifyTicket(issued.ticket, "abc")).toMatchObject({ ok: true, payload: { sessionId: "abc", userId: "user-1" } });
    expect(auth.verifyTicket(issued.ticket, "abc")).toMatchObject({ ok: false, message: expect.stringMatching(/already used/) });
    expect(new RequestAuthenticator("t".repeat(64)).verifyTicket(client.issuePtyTicket("abc", "u").ticket, "abc").ok).toBe(false);
  });
});

describe("runner client request ids", () => {
  it("sends the current request's id on every call, and a fresh valid one outside any request", async () => {
    const { sent, fetch } = recordingFetch(() => new Response("{}", { status: 200, headers: { "x-autocrea-app": "1" } }));
    const client = createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch });
    await withLogContext({ requestId: "req-abc.123" }, async () => {
      await client.health();
      await client.createSession({ userId: "u" });
      await client.writeFiles("s", [{ path: "a", content: "b" }]);
      await client.appLogs("s", 0);
      await client.proxyToApp("s", { method: "GET", pathWithQuery: "/", headers: { "x-request-id": "from-the-browser" } });
      expect(client.appUpgradeTarget("s", "u", "/hmr").headers["x-request-id"]).toBe("req-abc.123");
    });
    expect(sent).toHaveLength(5);
    for (const req of sent) expect(req.headers["x-request-id"], `${req.method} ${req.pathWithQuery}`).toBe("req-abc.123");
    // The header is not signed: the runner still accepts every call.
    const auth = new RequestAuthenticator(SECRET);
    for (const req of sent.slice(0, 4)) expect(runnerVerdict(auth, req)).toBe("ok");

    await client.health();
    await client.health();
    const [first, second] = sent.slice(5).map((req) => req.headers["x-request-id"]);
    expect(isValidRequestId(first)).toBe(true);
    expect(isValidRequestId(second)).toBe(true);
    expect(first).not.toBe(second);
  });
});

describe("runner client errors", () => {
  afterEach(() => vi.restoreAllMocks());

  it("says the runner is not configured when RUNNER_URL or RUNNER_SECRET is missing", () => {
    const attempt = () => runnerClient(loadEnv({ RUNNER_SECRET: SECRET }));
    expect(attempt).toThrow(RunnerUnavailableError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ status: 503, code: "runner_not_configured", reason: "not_configured" });
    }
  });

  it("says the runner is unreachable when nothing answers", async () => {
    const client = createRunnerClient({ url: "http://127.0.0.1:1", secret: SECRET });
    const failure = await client.health().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RunnerUnavailableError);
    expect(failure).toMatchObject({ status: 503, code: "runner_unavailable", reason: "unreachable" });
  });

  it("passes the runner's request errors through and turns auth or server failures into 502", async () => {
    const answers = [
      Response.json({ error: "unknown_language", message: 'unknown language "cobol"' }, { status: 400 }),
      Response.json({ error: "workspace_full", message: 'Could not write "a". The workspace is full.' }, { status: 507 }),
      Response.json({ error: "unauthorized", message: "The request signature does not match." }, { status: 401 }),
      new Response("<html>bad gateway</html>", { status: 500 }),
    ];
    const { fetch } = recordingFetch(() => answers.shift()!);
    const client = createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch });
    const request = { language: "cobol", files: [{ path: "a", content: "" }] };

    await expect(client.execute(request)).rejects.toMatchObject({
      status: 400,
      code: "unknown_language",
      message: 'unknown language "cobol"',
    });
    await expect(client.execute(request)).rejects.toMatchObject({ status: 507, code: "workspace_full" });
    const authFailure = await client.execute(request).catch((error: unknown) => error);
    expect(authFailure).toBeInstanceOf(RunnerRequestError);
    expect(authFailure).toMatchObject({ status: 502, code: "runner_error", runnerStatus: 401 });
    await expect(client.execute(request)).rejects.toMatchObject({ status: 502, runnerStatus: 500 });
  });
});

describe("runner client abort", () => {
  /** A fetch that never answers: it rejects (as fetch does) once the signal it was given aborts. */
  function hangingFetch() {
    const signals: AbortSignal[] = [];
    const fetchImpl = vi.fn(
      (_input: string | URL | Request, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          const signal = init!.signal!;
          signals.push(signal);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        }),
    );
    return { signals, fetch: fetchImpl as unknown as typeof fetch, calls: fetchImpl };
  }

  it("rejects with RunnerAbortedError (carrying the reason) when the caller's signal aborts, and aborts the fetch", async () => {
    const { signals, fetch } = hangingFetch();
    const client = createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch });
    const controller = new AbortController();
    const pending = client.runCommand("s1", { command: "sleep 30" }, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    expect(signals[0]!.aborted).toBe(false);
    controller.abort("canceled");
    const failure = await pending;
    expect(failure).toBeInstanceOf(RunnerAbortedError);
    expect(failure).not.toBeInstanceOf(RunnerUnavailableError);
    expect(failure).toMatchObject({ name: "RunnerAbortedError", reason: "canceled" });
    // The fetch's own signal aborted too: that is what closes the connection the runner watches.
    expect(signals[0]!.aborted).toBe(true);
  });

  it("every call takes a signal", async () => {
    const { fetch } = hangingFetch();
    const client = createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch });
    const controller = new AbortController();
    const signal = controller.signal;
    const calls = [
      client.health({ signal }),
      client.runtimes({ signal }),
      client.execute({ language: "bash", files: [{ path: "a.sh", content: "sleep 30" }] }, { signal }),
      client.createSession({ userId: "u" }, { signal }),
      client.writeFiles("s1", [{ path: "a", content: "" }], [], { signal }),
      client.runCommand("s1", { command: "true" }, { signal }),
      client.readFile("s1", "dist/index.html", { signal }),
      client.deleteSession("s1", { signal }),
    ].map((p) => p.catch((e: unknown) => e));
    controller.abort();
    for (const failure of await Promise.all(calls)) expect(failure).toBeInstanceOf(RunnerAbortedError);
  });

  it("does not even send a request when the signal is already aborted", async () => {
    const { fetch, calls } = hangingFetch();
    const client = createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch });
    const failure = await client.execute({ language: "bash", files: [{ path: "a.sh", content: "" }] }, { signal: AbortSignal.abort("gone") }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: "RunnerAbortedError", reason: "gone" });
    expect(calls).not.toHaveBeenCalled();
  });

  it("a timeout is still 'did not answer' (503), with or without a signal", async () => {
    const { fetch } = hangingFetch();
    const client = createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch, timeoutMs: 20 });
    for (const options of [undefined, { signal: new AbortController().signal }]) {
      const failure = await client.runCommand("s1", { command: "sleep 30" }, options).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(RunnerUnavailableError);
      expect(failure).toMatchObject({ status: 503, reason: "unreachable", message: expect.stringMatching(/did not answer/) });
    }
  });

  it("an abort while the answer's body is still arriving is an abort too", async () => {
    const controller = new AbortController();
    const fetchImpl = (async (_input: string | URL | Request, init?: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          stream.enqueue(new TextEncoder().encode('{"stdout":'));
          init!.signal!.addEventListener("abort", () => stream.error(init!.signal!.reason), { once: true });
        },
      });
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const client = createRunnerClient({ url: "http://runner.test", secret: SECRET, fetch: fetchImpl });
    const pending = client.runCommand("s1", { command: "true" }, { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort("canceled");
    expect(await pending).toBeInstanceOf(RunnerAbortedError);
  });

  it("a runner that cannot be reached is still 'unreachable', not an abort, when a signal was given", async () => {
    const client = createRunnerClient({ url: "http://127.0.0.1:1", secret: SECRET });
    const failure = await client.health({ signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RunnerUnavailableError);
    expect(failure).toMatchObject({ reason: "unreachable" });
  });
});
