import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { POST as register } from "@/app/api/auth/register/route";
import { SESSION_COOKIE } from "@/lib/auth/session";
import { resetEnvForTests } from "@/lib/env";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server";
// Not a React hook: renamed so the hooks lint rule does not mistake it for one.
import { APP_URL, cookieFrom, jsonPost, useTestApp as openTestApp } from "./auth-setup";

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
  signUp(): Promise<{ cookie: string; userId: string }>;
  /** Replaces AI env vars (undefined deletes) and re-reads the env. */
  setEnv(vars: Partial<Record<(typeof AI_ENV_KEYS)[number], string | undefined>>): void;
  cleanup(): Promise<void>;
}

let users = 0;

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
    async signUp() {
      users += 1;
      const response = await register(
        jsonPost("/api/auth/register", {
          name: `AI User ${users}`,
          email: `ai-user-${users}-${randomBytes(4).toString("hex")}@example.com`,
          password: "correct horse battery",
        }),
        undefined,
      );
      expect(response.status).toBe(201);
      const { user } = await response.json();
      return { cookie: cookieFrom(response, SESSION_COOKIE), userId: user.id };
    },
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

export function authed(method: string, path: string, cookie: string, body?: unknown, headers: Record<string, string> = {}): Request {
  return new Request(new URL(path, APP_URL), {
    method,
    headers: {
      origin: APP_URL,
      cookie,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
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
