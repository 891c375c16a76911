import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CallFailedError,
  completeText,
  RETRY_POLICY,
  retryAfterMs,
  retryMessage,
  setRetryPolicyForTests,
  streamCompletion,
} from "@/lib/ai/call";
import { tokensForChars } from "@/lib/ai/pricing";
import { captureLogsForTests, type CapturedLogs } from "@/lib/log";
import { NoProviderError } from "@/lib/ai/providers";
import type { CallEvent, ProviderCandidate, StreamCompletionOptions } from "@/lib/ai/types";
import { resetEnvForTests } from "@/lib/env";
import { countPromptTokens, splitIntoTokens, startLlmServer, type LlmServer } from "../fixtures/llm-server";

/**
 * streamCompletion against two scripted OpenAI-compatible servers: the
 * platform JoxCoder endpoint (first) and platform OpenAI via OPENAI_BASE_URL
 * (second). The fixture reports deterministic usage: ceil(prompt chars / 4)
 * input tokens, one output token per 4-character chunk sent. Retries wait
 * BASE_DELAY_MS × 2^(n−1) ±20 % here (500 ms in production) unless a
 * Retry-After says otherwise.
 */

const ENV_KEYS = ["JOXCODER_API_URL", "JOXCODER_API_KEY", "JOXCODER_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"] as const;
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let first: LlmServer;
let second: LlmServer;

const JOX: ProviderCandidate = { provider: "joxcoder", model: "jox-test", source: "platform" };
const OPENAI: ProviderCandidate = { provider: "openai", model: "gpt-4o-mini", source: "platform" };
const messages: StreamCompletionOptions["messages"] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Say hello." },
];
const promptTokens = countPromptTokens(messages);
/** What a call is charged when the provider reports no usage: 3 characters a token (lib/ai/pricing). */
const estimatedInput = tokensForChars(messages.reduce((n, m) => n + m.content.length, 0));
const BASE_DELAY_MS = 20;
let logged: CapturedLogs;

beforeAll(async () => {
  first = await startLlmServer();
  second = await startLlmServer();
  Object.assign(process.env, {
    JOXCODER_API_URL: first.url,
    JOXCODER_API_KEY: "jox-secret-KEY1",
    JOXCODER_MODEL: "jox-test",
    OPENAI_API_KEY: "sk-platform-openai-KEY2",
    OPENAI_BASE_URL: second.url,
  });
  resetEnvForTests();
  setRetryPolicyForTests({ baseDelayMs: BASE_DELAY_MS });
});

afterAll(async () => {
  setRetryPolicyForTests(null);
  await Promise.all([first.close(), second.close()]);
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  resetEnvForTests();
});

beforeEach(() => {
  for (const server of [first, second]) {
    server.setFault(null);
    server.reset();
  }
  first.setScript({ fallback: "Hello from jox." });
  second.setScript({ fallback: "Hello from openai." });
  logged = captureLogsForTests("warn");
});

afterEach(() => {
  logged.restore();
});

async function collect(options: Partial<StreamCompletionOptions> = {}): Promise<{ events: CallEvent[]; error?: unknown }> {
  const events: CallEvent[] = [];
  try {
    for await (const event of streamCompletion({ candidates: [JOX, OPENAI], messages, timeoutMs: 2_000, ...options })) {
      events.push(event);
    }
    return { events };
  } catch (error) {
    return { events, error };
  }
}

const textOf = (events: CallEvent[]) => events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
/** Event types with runs of `text` collapsed into one. */
const shapeOf = (events: CallEvent[]) => events.map((e) => e.type).filter((type, i, all) => type !== "text" || all[i - 1] !== "text");
const retriesOf = (events: CallEvent[]) => events.filter((e): e is Extract<CallEvent, { type: "retry" }> => e.type === "retry");

describe("streamCompletion", () => {
  it("streams the first provider's text and the usage it reported", async () => {
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("Hello from jox.");
    expect(events.at(-1)).toEqual({
      type: "finish",
      attempt: {
        provider: "joxcoder",
        model: "jox-test",
        source: "platform",
        ok: true,
        usage: { inputTokens: promptTokens, outputTokens: splitIntoTokens("Hello from jox.").length },
        finishReason: "stop",
      },
    });
    expect(second.requests).toHaveLength(0);

    const [request] = first.requests;
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer ****KEY1");
    expect(request.body).toMatchObject({ model: "jox-test", stream: true, stream_options: { include_usage: true }, messages });
  });

  it("retries a 500 on the same provider, then falls through to the next once the retries are exhausted", async () => {
    first.setFault({ fault: { kind: "status", status: 500, message: "model overloaded" }, times: "always" });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(first.requests).toHaveLength(1 + RETRY_POLICY.maxRetries);
    expect(second.requests).toHaveLength(1);
    expect(second.requests[0].headers.authorization).toBe("Bearer ****KEY2");
    expect(shapeOf(events)).toEqual(["retry", "retry", "retry", "attempt_failed", "text", "finish"]);
    const retries = retriesOf(events);
    retries.forEach((retry, i) => {
      const backoff = BASE_DELAY_MS * 2 ** i;
      expect(retry.delayMs).toBeGreaterThanOrEqual(Math.floor(backoff * 0.8));
      expect(retry.delayMs).toBeLessThanOrEqual(Math.ceil(backoff * 1.2));
      expect(retry.message).toBe(retryMessage("server_error", retry.delayMs));
      expect(retry.message).toMatch(/^The AI service had a temporary error; retrying (now|in [\d.]+ s)\.$/);
      expect(retry.message).not.toContain("overloaded");
      expect(retry.attempt).toMatchObject({ provider: "joxcoder", ok: false, usage: { inputTokens: 0, outputTokens: 0 } });
      expect(retry.attempt.error).toMatch(/^http_5xx: 500 model overloaded/);
    });
    const failed = events.find((e) => e.type === "attempt_failed")!;
    expect(failed.attempt).toMatchObject({ provider: "joxcoder", ok: false, usage: { inputTokens: 0, outputTokens: 0 } });
    expect(failed.attempt.error).toMatch(/^http_5xx: 500 model overloaded/);
    expect(failed.attempt.usageEstimated).toBeUndefined();
    expect(events.at(-1)).toMatchObject({
      type: "finish",
      attempt: { provider: "openai", ok: true, usage: { inputTokens: promptTokens, outputTokens: splitIntoTokens("Hello from openai.").length } },
    });
    // The provider's text goes to the server log only, with where it came from.
    const failures = logged.entries().filter((entry) => entry.msg === "AI call failed");
    expect(failures).toHaveLength(1 + RETRY_POLICY.maxRetries);
    expect(failures[0]).toMatchObject({
      level: "warn",
      provider: "joxcoder",
      model: "jox-test",
      host: new URL(first.url).host,
      status: 500,
      code: "http_5xx",
      error: expect.stringContaining("model overloaded"),
      next: expect.stringMatching(/^retrying in \d+ ms$/),
    });
    expect(failures.at(-1)).toMatchObject({ next: "trying the next provider" });
    expect(logged.lines.join("")).not.toContain("jox-secret-KEY1");
  });

  it("waits out a 429's Retry-After, then streams from the same provider", async () => {
    first.setFault({ fault: { kind: "status", status: 429, retryAfterSeconds: 1 } });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(shapeOf(events)).toEqual(["retry", "text", "finish"]);
    expect(events[0]).toEqual({
      type: "retry",
      attempt: expect.objectContaining({ provider: "joxcoder", ok: false, usage: { inputTokens: 0, outputTokens: 0 } }),
      delayMs: 1000,
      message: "The AI service is rate-limiting requests; retrying in 1 s.",
    });
    expect((events[0] as Extract<CallEvent, { type: "retry" }>).attempt.error).toMatch(/^rate_limited/);
    expect(textOf(events)).toBe("Hello from jox.");
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "joxcoder", ok: true, finishReason: "stop" } });
    expect(first.requests).toHaveLength(2);
    expect(second.requests).toHaveLength(0);
  });

  it("retries two 503s, then streams from the same provider", async () => {
    first.setFault({ fault: { kind: "status", status: 503 }, times: 2 });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(shapeOf(events)).toEqual(["retry", "retry", "text", "finish"]);
    for (const retry of retriesOf(events)) {
      expect(retry.message).toMatch(/^The AI service had a temporary error; retrying/);
      expect(retry.attempt.error).toMatch(/^http_5xx: 503/);
    }
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "joxcoder", ok: true } });
    expect(first.requests).toHaveLength(3);
    expect(second.requests).toHaveLength(0);
  });

  it.each([408, 409, 502])("retries a %i", async (status) => {
    first.setFault({ fault: { kind: "status", status } });
    const { events } = await collect();
    expect(shapeOf(events)).toEqual(["retry", "text", "finish"]);
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "joxcoder" } });
  });

  it.each([400, 401, 403, 404])("does not retry a %i: the next provider is tried at once", async (status) => {
    first.setFault({ fault: { kind: "status", status } });
    const { events } = await collect();
    expect(shapeOf(events)).toEqual(["attempt_failed", "text", "finish"]);
    expect(events[0]).toMatchObject({ attempt: { provider: "joxcoder", error: expect.stringMatching(new RegExp(`^http_${status}`)) } });
    expect(first.requests).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai" } });
  });

  it("retries a connection the server dropped before answering", async () => {
    first.setFault({ fault: { kind: "drop" } });
    const { events } = await collect();
    expect(shapeOf(events)).toEqual(["retry", "text", "finish"]);
    const [retry] = retriesOf(events);
    expect(retry.message).toMatch(/^The connection to the AI service dropped; retrying/);
    expect(retry.attempt).toMatchObject({ ok: false, error: expect.stringMatching(/^network/), usage: { inputTokens: 0, outputTokens: 0 } });
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "joxcoder" } });
  });

  it("retries a stream cut before its first token", async () => {
    first.setFault({ fault: { kind: "cut", afterChunks: 0 } });
    const { events } = await collect();
    expect(shapeOf(events)).toEqual(["retry", "text", "finish"]);
    expect(retriesOf(events)[0].attempt).toMatchObject({ error: expect.stringMatching(/^stream_cut/), usage: { inputTokens: 0, outputTokens: 0 } });
    expect(retriesOf(events)[0].attempt.usageEstimated).toBeUndefined();
    expect(textOf(events)).toBe("Hello from jox.");
  });

  it("retries a refused connection, then falls through; refused tries cost nothing", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    process.env.JOXCODER_API_URL = `http://127.0.0.1:${port}/v1`;
    resetEnvForTests();
    try {
      const { events, error } = await collect();
      expect(error).toBeUndefined();
      expect(shapeOf(events)).toEqual(["retry", "retry", "retry", "attempt_failed", "text", "finish"]);
      for (const event of events.slice(0, 4)) {
        expect(event).toMatchObject({ attempt: { provider: "joxcoder", error: expect.stringMatching(/^network/), usage: { inputTokens: 0, outputTokens: 0 } } });
      }
      expect(retriesOf(events)[0].message).toMatch(/^The connection to the AI service dropped/);
      expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai" } });
    } finally {
      process.env.JOXCODER_API_URL = first.url;
      resetEnvForTests();
    }
  });

  it("falls through on a 429 whose Retry-After is above the cap, without waiting", async () => {
    first.setFault({ fault: { kind: "status", status: 429, retryAfterSeconds: RETRY_POLICY.maxRetryAfterMs / 1000 + 1 } });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(events[0]).toMatchObject({ type: "attempt_failed", attempt: { error: expect.stringMatching(/^rate_limited/) } });
    expect(retriesOf(events)).toHaveLength(0);
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai" } });
  });

  it("ends the backoff wait at once when the caller aborts, without trying the next provider", async () => {
    first.setFault({ fault: { kind: "status", status: 429, retryAfterSeconds: RETRY_POLICY.maxRetryAfterMs / 1000 } });
    const controller = new AbortController();
    const events: CallEvent[] = [];
    let error: unknown;
    try {
      for await (const event of streamCompletion({ candidates: [JOX, OPENAI], messages, timeoutMs: 2_000, signal: controller.signal })) {
        events.push(event);
        if (event.type === "retry") setTimeout(() => controller.abort(), 50); // during the wait
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CallFailedError);
    expect((error as CallFailedError).aborted).toBe(true);
    expect(events.map((e) => e.type)).toEqual(["retry", "attempt_failed"]);
    expect(events[0]).toMatchObject({ delayMs: RETRY_POLICY.maxRetryAfterMs });
    expect(events[1]).toMatchObject({ attempt: { provider: "joxcoder", error: "aborted", usage: { inputTokens: 0, outputTokens: 0 } } });
    expect((error as CallFailedError).attempts).toHaveLength(2);
    expect(first.requests).toHaveLength(1);
    expect(second.requests).toHaveLength(0);
  }, 10_000); // far below the 20 s the provider asked for

  it("times out a provider that never answers and tries the next", async () => {
    first.setFault({ fault: { kind: "hang" } });
    const { events, error } = await collect({ timeoutMs: 200 });
    expect(error).toBeUndefined();
    expect(events[0]).toMatchObject({ type: "attempt_failed", attempt: { provider: "joxcoder", error: expect.stringMatching(/^timeout/) } });
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai", ok: true } });
  });

  it("times out between tokens too, keeping what was already yielded", async () => {
    first.setFault({ fault: { kind: "hang", afterChunks: 2 } });
    const { events } = await collect({ timeoutMs: 200 });
    expect(textOf(events)).toBe("Hello fr" + "Hello from openai.");
    const failed = events.find((e) => e.type === "attempt_failed");
    expect(failed).toMatchObject({ attempt: { provider: "joxcoder", error: expect.stringMatching(/^timeout/) } });
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai" } });
  });

  it("keeps the text of a stream cut mid-way, charges its estimated usage, and completes on the next without retrying", async () => {
    first.setFault({ fault: { kind: "cut", afterChunks: 3 } });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("Hello from j" + "Hello from openai.");
    expect(shapeOf(events)).toEqual(["text", "attempt_failed", "text", "finish"]);
    const failed = events.find((e) => e.type === "attempt_failed");
    expect(failed).toMatchObject({
      attempt: {
        provider: "joxcoder",
        ok: false,
        usage: { inputTokens: estimatedInput, outputTokens: tokensForChars("Hello from j".length) },
        usageEstimated: true,
      },
    });
    expect(failed!.attempt.error).toMatch(/^stream_cut/);
    expect(failed!.attempt.finishReason).toBeUndefined();
    expect(first.requests).toHaveLength(1);
  });

  it("estimates and flags the usage of a provider that never reports it", async () => {
    first.setFault({ fault: { kind: "no_usage" } });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(first.requests[0].body).toMatchObject({ stream_options: { include_usage: true } });
    expect(events.at(-1)).toEqual({
      type: "finish",
      attempt: {
        provider: "joxcoder",
        model: "jox-test",
        source: "platform",
        ok: true,
        usage: { inputTokens: estimatedInput, outputTokens: tokensForChars("Hello from jox.".length) },
        usageEstimated: true,
        finishReason: "stop",
      },
    });
  });

  it("counts usage reported twice once", async () => {
    first.setFault({ fault: { kind: "usage_twice" } });
    const { events } = await collect();
    expect(events.at(-1)).toEqual({
      type: "finish",
      attempt: {
        provider: "joxcoder",
        model: "jox-test",
        source: "platform",
        ok: true,
        usage: { inputTokens: promptTokens, outputTokens: splitIntoTokens("Hello from jox.").length },
        finishReason: "stop",
      },
    });
  });

  it("reports every try's usage once: retried tries cost nothing, the finish carries the answer's usage", async () => {
    first.setFault({ fault: { kind: "status", status: 503 }, times: 2 });
    const { events } = await collect();
    const charged = events.flatMap((e) => (e.type === "text" ? [] : [e.attempt.usage]));
    expect(charged).toEqual([
      { inputTokens: 0, outputTokens: 0 },
      { inputTokens: 0, outputTokens: 0 },
      { inputTokens: promptTokens, outputTokens: splitIntoTokens("Hello from jox.").length },
    ]);
  });

  it("treats a malformed chunk as a failed attempt, not retried", async () => {
    first.setFault({ fault: { kind: "malformed", afterChunks: 1 } });
    const { events } = await collect();
    expect(events[0]).toEqual({ type: "text", text: "Hell" });
    expect(events[1]).toMatchObject({
      type: "attempt_failed",
      attempt: { error: expect.stringMatching(/^malformed_stream/), usage: { outputTokens: tokensForChars(4) }, usageEstimated: true },
    });
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai" } });
  });

  it("does not retry a stream malformed from its first chunk", async () => {
    first.setFault({ fault: { kind: "malformed" } });
    const { events } = await collect();
    expect(shapeOf(events)).toEqual(["attempt_failed", "text", "finish"]);
    expect(events[0]).toMatchObject({ attempt: { error: expect.stringMatching(/^malformed_stream/), usage: { inputTokens: 0, outputTokens: 0 } } });
    expect(first.requests).toHaveLength(1);
  });

  it("throws CallFailedError with every try when all providers fail, without their text in its message", async () => {
    first.setFault({ fault: { kind: "status", status: 503, message: "upstream pool exhausted" }, times: "always" });
    second.setFault({ fault: { kind: "status", status: 502 }, times: "always" });
    const { events, error } = await collect();
    expect(error).toBeInstanceOf(CallFailedError);
    const failure = error as CallFailedError;
    expect(failure.aborted).toBe(false);
    expect(failure.attempts.map((a) => [a.provider, a.ok, a.error?.split(":")[0]])).toEqual([
      ...Array.from({ length: 4 }, () => ["joxcoder", false, "http_5xx"]),
      ...Array.from({ length: 4 }, () => ["openai", false, "http_5xx"]),
    ]);
    expect(failure.message).toBe("Every AI provider failed: joxcoder (http_5xx), openai (http_5xx).");
    expect(events.map((e) => e.type)).toEqual(["retry", "retry", "retry", "attempt_failed", "retry", "retry", "retry", "attempt_failed"]);
  });

  it("stops cleanly when the caller aborts, without trying the next provider", async () => {
    first.setFault({ fault: { kind: "hang", afterChunks: 1 } });
    const controller = new AbortController();
    const events: CallEvent[] = [];
    let error: unknown;
    try {
      for await (const event of streamCompletion({ candidates: [JOX, OPENAI], messages, timeoutMs: 10_000, signal: controller.signal })) {
        events.push(event);
        if (event.type === "text") controller.abort();
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CallFailedError);
    expect((error as CallFailedError).aborted).toBe(true);
    expect(events.map((e) => e.type)).toEqual(["text", "attempt_failed"]);
    // It received a token: it cost the provider something, estimated since no usage came.
    expect(events[1]).toMatchObject({
      attempt: { error: "aborted", usage: { inputTokens: estimatedInput, outputTokens: tokensForChars(4) }, usageEstimated: true },
    });
    expect(second.requests).toHaveLength(0);
  });

  it("refuses an empty candidate list with NoProviderError", async () => {
    const { error } = await collect({ candidates: [] });
    expect(error).toBeInstanceOf(NoProviderError);
    expect((error as NoProviderError).status).toBe(503);
  });

  it("sends the output cap to the provider", async () => {
    await collect({ maxOutputTokens: 77 });
    expect(first.requests[0].body).toMatchObject({ max_tokens: 77 });
  });
});

describe("retry timing", () => {
  it("is 3 retries from 500 ms, honouring Retry-After up to 20 s", () => {
    expect(RETRY_POLICY).toEqual({ maxRetries: 3, baseDelayMs: 500, maxRetryAfterMs: 20_000 });
  });

  it("reads Retry-After in seconds or as an HTTP date, and retry-after-ms", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs({ "retry-after": "2" }, now)).toBe(2000);
    expect(retryAfterMs({ "retry-after": "0.5" }, now)).toBe(500);
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:07 GMT" }, now)).toBe(7000);
    expect(retryAfterMs({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }, now)).toBe(0);
    expect(retryAfterMs({ "retry-after-ms": "1234", "retry-after": "2" }, now)).toBe(1234);
    expect(retryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it("says what happened and when, in a sentence", () => {
    expect(retryMessage("rate_limited", 2000)).toBe("The AI service is rate-limiting requests; retrying in 2 s.");
    expect(retryMessage("server_error", 1000)).toBe("The AI service had a temporary error; retrying in 1 s.");
    expect(retryMessage("connection", 480)).toBe("The connection to the AI service dropped; retrying in 0.5 s.");
    expect(retryMessage("connection", 12_400)).toBe("The connection to the AI service dropped; retrying in 12 s.");
    expect(retryMessage("rate_limited", 0)).toBe("The AI service is rate-limiting requests; retrying now.");
  });
});

describe("completeText", () => {
  it("records a retried try among the attempts, without its text", async () => {
    first.setFault({ fault: { kind: "status", status: 429, retryAfterSeconds: 0 } });
    const result = await completeText({ candidates: [JOX, OPENAI], messages, timeoutMs: 2_000 });
    expect(result.text).toBe("Hello from jox.");
    expect(result.attempts.map((a) => [a.provider, a.ok, a.error?.split(":")[0]])).toEqual([
      ["joxcoder", false, "rate_limited"],
      ["joxcoder", true, undefined],
    ]);
  });

  it("returns the successful attempt's text and every attempt", async () => {
    first.setFault({ fault: { kind: "cut", afterChunks: 1 } });
    const result = await completeText({ candidates: [JOX, OPENAI], messages, timeoutMs: 2_000 });
    expect(result.text).toBe("Hello from openai.");
    expect(result.attempts.map((a) => [a.provider, a.ok])).toEqual([
      ["joxcoder", false],
      ["openai", true],
    ]);
  });
});
