import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CallFailedError, completeText, streamCompletion } from "@/lib/ai/call";
import { NoProviderError } from "@/lib/ai/providers";
import type { CallEvent, ProviderCandidate, StreamCompletionOptions } from "@/lib/ai/types";
import { resetEnvForTests } from "@/lib/env";
import { countPromptTokens, splitIntoTokens, startLlmServer, type LlmServer } from "../fixtures/llm-server";

/**
 * streamCompletion against two scripted OpenAI-compatible servers: the
 * platform JoxCoder endpoint (first) and platform OpenAI via OPENAI_BASE_URL
 * (second). The fixture reports deterministic usage: ceil(prompt chars / 4)
 * input tokens, one output token per 4-character chunk sent.
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
});

afterAll(async () => {
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
      },
    });
    expect(second.requests).toHaveLength(0);

    const [request] = first.requests;
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer ****KEY1");
    expect(request.body).toMatchObject({ model: "jox-test", stream: true, stream_options: { include_usage: true }, messages });
  });

  it("falls through to the next provider on a 500 and records both attempts, without retrying", async () => {
    first.setFault({ fault: { kind: "status", status: 500, message: "model overloaded" }, times: "always" });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(first.requests).toHaveLength(1);
    expect(second.requests).toHaveLength(1);
    expect(second.requests[0].headers.authorization).toBe("Bearer ****KEY2");
    expect(events.map((e) => e.type)).toEqual(["attempt_failed", ...splitIntoTokens("Hello from openai.").map(() => "text"), "finish"]);
    const failed = events[0] as Extract<CallEvent, { type: "attempt_failed" }>;
    expect(failed.attempt).toMatchObject({ provider: "joxcoder", ok: false, usage: { inputTokens: 0, outputTokens: 0 } });
    expect(failed.attempt.error).toMatch(/^http_5xx: 500 model overloaded/);
    expect(events.at(-1)).toMatchObject({
      type: "finish",
      attempt: { provider: "openai", ok: true, usage: { inputTokens: promptTokens, outputTokens: splitIntoTokens("Hello from openai.").length } },
    });
  });

  it("falls through on a 429 as rate_limited", async () => {
    first.setFault({ fault: { kind: "status", status: 429, retryAfterSeconds: 30 } });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(events[0]).toMatchObject({ type: "attempt_failed", attempt: { error: expect.stringMatching(/^rate_limited/) } });
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai" } });
  });

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

  it("keeps the text of a stream cut mid-way, reports no usage for it, and completes on the next", async () => {
    first.setFault({ fault: { kind: "cut", afterChunks: 3 } });
    const { events, error } = await collect();
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("Hello from j" + "Hello from openai.");
    const failed = events.find((e) => e.type === "attempt_failed");
    expect(failed).toMatchObject({ attempt: { provider: "joxcoder", ok: false, usage: { inputTokens: 0, outputTokens: 0 } } });
    expect(failed!.attempt.error).toMatch(/^stream_cut/);
  });

  it("treats a malformed chunk as a failed attempt", async () => {
    first.setFault({ fault: { kind: "malformed", afterChunks: 1 } });
    const { events } = await collect();
    expect(events[0]).toEqual({ type: "text", text: "Hell" });
    expect(events[1]).toMatchObject({ type: "attempt_failed", attempt: { error: expect.stringMatching(/^malformed_stream/) } });
    expect(events.at(-1)).toMatchObject({ type: "finish", attempt: { provider: "openai" } });
  });

  it("throws CallFailedError with every attempt when all providers fail", async () => {
    first.setFault({ fault: { kind: "status", status: 503 } });
    second.setFault({ fault: { kind: "status", status: 502 } });
    const { events, error } = await collect();
    expect(error).toBeInstanceOf(CallFailedError);
    const failure = error as CallFailedError;
    expect(failure.aborted).toBe(false);
    expect(failure.attempts.map((a) => [a.provider, a.ok, a.error?.split(":")[0]])).toEqual([
      ["joxcoder", false, "http_5xx"],
      ["openai", false, "http_5xx"],
    ]);
    expect(events.map((e) => e.type)).toEqual(["attempt_failed", "attempt_failed"]);
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
    expect(events[1]).toMatchObject({ attempt: { error: "aborted" } });
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

describe("completeText", () => {
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
