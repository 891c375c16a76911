import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";
import { openTestApp, signUp, type SignedUp } from "./support/app";

/**
 * The app on a temp SQLite store with two scripted OpenAI-compatible
 * servers: `jox` is the platform JoxCoder endpoint, `openai` serves the
 * "openai" provider (OPENAI_BASE_URL) — used through users' own keys, since
 * no platform OpenAI key is set.
 */

const AI_ENV_KEYS = [
  "JOXCODER_API_URL",
  "JOXCODER_API_KEY",
  "JOXCODER_MODEL",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "ANTHROPIC_API_KEY",
  "OLLAMA_BASE_URL",
  "AUTOCREA_ENCRYPTION_KEY",
] as const;

export const ENCRYPTION_KEY = randomBytes(32);

export interface AiTestApp {
  jox: LlmServer;
  openai: LlmServer;
  dataDir: string;
  /** Before each test: no faults, no recorded requests, a default answer on both servers. */
  resetServers(): void;
  /** Registers a fresh local account (see support/app `signUp`). */
  signUp(): Promise<SignedUp>;
  /** Replaces AI env vars (undefined deletes) and re-reads the env. */
  setEnv(vars: Partial<Record<(typeof AI_ENV_KEYS)[number], string | undefined>>): void;
  cleanup(): Promise<void>;
}

export async function startAiTestApp(): Promise<AiTestApp> {
  const processEnv = process.env as Record<string, string | undefined>;
  const saved = Object.fromEntries(AI_ENV_KEYS.map((k) => [k, processEnv[k]]));
  const jox = await startLlmServer();
  const openai = await startLlmServer();
  for (const key of AI_ENV_KEYS) delete processEnv[key];
  const cleanupApp = await openTestApp({
    JOXCODER_API_URL: jox.url,
    JOXCODER_API_KEY: "jox-platform-key",
    JOXCODER_MODEL: "jox-test",
    OPENAI_BASE_URL: openai.url,
    AUTOCREA_ENCRYPTION_KEY: ENCRYPTION_KEY.toString("hex"),
  });

  return {
    jox,
    openai,
    dataDir: processEnv.DATA_DIR!,
    resetServers() {
      for (const [server, answer] of [
        [jox, "Answer from JoxCoder."],
        [openai, "Answer from OpenAI."],
      ] as const) {
        server.setFault(null);
        server.setScript({ fallback: answer });
        server.reset();
      }
    },
    signUp,
    setEnv(vars) {
      for (const [key, value] of Object.entries(vars)) {
        if (value === undefined) delete processEnv[key];
        else processEnv[key] = value;
      }
      resetEnvForTests();
    },
    async cleanup() {
      await cleanupApp();
      await Promise.all([jox.close(), openai.close()]);
      for (const key of AI_ENV_KEYS) {
        if (saved[key] === undefined) delete processEnv[key];
        else processEnv[key] = saved[key];
      }
      resetEnvForTests();
    },
  };
}

/**
 * `startAiTestApp` as vitest hooks for the calling file: started in beforeAll,
 * cleaned up in afterAll, rate limits and servers reset before each test.
 * The returned app forwards to the one the hooks started.
 */
export function withAiTestApp(): AiTestApp {
  let current: AiTestApp | undefined;
  beforeAll(async () => {
    current = await startAiTestApp();
  });
  afterAll(async () => {
    await current?.cleanup();
  });
  beforeEach(() => {
    resetRateLimitsForTests();
    started().resetServers();
  });
  const started = () => {
    if (!current) throw new Error("the AI test app is not started");
    return current;
  };
  return {
    get jox() {
      return started().jox;
    },
    get openai() {
      return started().openai;
    },
    get dataDir() {
      return started().dataDir;
    },
    resetServers: () => started().resetServers(),
    signUp: () => started().signUp(),
    setEnv: (vars) => started().setEnv(vars),
    cleanup: () => started().cleanup(),
  };
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a whole SSE response body into its events. */
export async function readSse(response: Response): Promise<SseEvent[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "{}";
      return { event, data: JSON.parse(data) };
    });
}

export const sseText = (events: SseEvent[]) =>
  events.filter((e) => e.event === "text").map((e) => e.data.text as string).join("");
