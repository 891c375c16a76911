import { afterAll, beforeAll, expect, it } from "vitest";
import { completeText } from "@/lib/ai/call";
import type { ProviderCandidate } from "@/lib/ai/types";
import { resetEnvForTests } from "@/lib/env";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";

/**
 * Back-to-back AI calls against a provider that closes idle kept-alive
 * connections (Node, uvicorn, load balancers all do). A request written into a
 * pooled connection at the moment the server closes it fails with "other side
 * closed" / ECONNRESET before any byte of answer. The moment is narrow, unless
 * the client's event loop is busy when the server's close arrives — a loaded
 * machine, a CPU-heavy step — so that the close is noticed only after the next
 * request went out on that connection. Each pause below straddles the server's
 * keep-alive timeout, with the loop kept busy across it.
 *
 * The fixture closes idle connections after 1.5 s (Node's default is 6 s: too
 * slow for 20 calls). Its streamed answers carry no `Keep-Alive: timeout=` hint
 * (many servers send none), so an undici client with its defaults keeps the
 * connection 4 s, reuses it after 1.5 s and fails; lib/ai/providers.ts closes
 * ours after 1 s, and lib/ai/call.ts retries a connection error that came
 * before any token.
 */

const KEEP_ALIVE_MS = 1_500;
const CALLS = 20;
/** Half the busy stretch around each pause's end. */
const BUSY_MS = 120;

let server: LlmServer;
const saved = { url: process.env.JOXCODER_API_URL, key: process.env.JOXCODER_API_KEY };
const JOX: ProviderCandidate = { provider: "joxcoder", model: "jox-test", source: "platform" };

beforeAll(async () => {
  server = await startLlmServer({ script: { fallback: "Hello there, friend." }, keepAliveTimeoutMs: KEEP_ALIVE_MS });
  process.env.JOXCODER_API_URL = server.url;
  process.env.JOXCODER_API_KEY = "jox-faults-KEY";
  resetEnvForTests();
});

afterAll(async () => {
  await server.close();
  for (const [name, value] of [["JOXCODER_API_URL", saved.url], ["JOXCODER_API_KEY", saved.key]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvForTests();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

it(`survives ${CALLS} back-to-back calls with pauses straddling the server's keep-alive timeout`, async () => {
  const failures: string[] = [];
  for (let call = 0; call < CALLS; call++) {
    try {
      const result = await completeText({ candidates: [JOX], messages: [{ role: "user", content: `Say hello (${call}).` }], timeoutMs: 10_000 });
      expect(result.text).toBe("Hello there, friend.");
      expect(result.attempts.at(-1)).toMatchObject({ provider: "joxcoder", ok: true });
    } catch (error) {
      failures.push(`call ${call + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (call === CALLS - 1) break;
    // From 100 ms before the server's close to 90 ms after it, the loop busy across that moment.
    const end = performance.now() + KEEP_ALIVE_MS - 100 + 10 * (call % 20);
    await sleep(end - BUSY_MS - performance.now());
    while (performance.now() < end + BUSY_MS) {
      // busy: the server's close is not seen until the next call has gone out
    }
  }
  expect(failures).toEqual([]);
  expect(server.requests.filter((r) => r.chatRequest !== null).length).toBeGreaterThanOrEqual(CALLS);
}, 120_000);
