import { createAnthropic } from "@ai-sdk/anthropic";
import { createDeepSeek } from "@ai-sdk/deepseek";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createGroq } from "@ai-sdk/groq";
import { createMistral } from "@ai-sdk/mistral";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import type { LanguageModel } from "ai";
import { createOllama } from "ollama-ai-provider-v2";
import { Agent, fetch as undiciFetch } from "undici";
import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { readUserKey } from "@/lib/secrets/user-keys";
import { endpointConnection, endpointModel } from "./endpoints";
import { localServerUrl } from "./local-models";
import type { PlatformProvider, ProviderCandidate, ProviderId } from "./types";

/**
 * The one provider registry (docs/architecture.md#llm-providers): which providers the platform
 * serves, and how to build an AI SDK model for a candidate. Which candidates a user's call tries,
 * and in what order, is lib/ai/model-choice.ts. A ProviderCandidate never carries a key: keys are
 * read by `secretsFor` at call time, right before `languageModelFor`.
 */

/** The platform's providers in preference order. */
export const PLATFORM_PROVIDER_ORDER: readonly PlatformProvider[] = [
  "joxcoder",
  "openai",
  "anthropic",
  "google",
  "mistral",
  "groq",
  "deepseek",
  "openrouter",
  "ollama",
  "lmstudio",
];

export class NoProviderError extends HttpError {
  constructor() {
    super(503, "no_provider", "No AI model is available yet: add a key or your own endpoint in Settings.");
    this.name = "NoProviderError";
  }
}

/** The platform's key or address for a provider, from env. */
function platformSetting(provider: PlatformProvider): string | undefined {
  const e = env();
  const settings: Record<PlatformProvider, string | undefined> = {
    joxcoder: e.JOXCODER_API_URL,
    openai: e.OPENAI_API_KEY,
    anthropic: e.ANTHROPIC_API_KEY,
    google: e.GOOGLE_GENERATIVE_AI_API_KEY,
    mistral: e.MISTRAL_API_KEY,
    groq: e.GROQ_API_KEY,
    deepseek: e.DEEPSEEK_API_KEY,
    openrouter: e.OPENROUTER_API_KEY,
    ollama: e.OLLAMA_BASE_URL,
    lmstudio: e.LMSTUDIO_BASE_URL,
  };
  return settings[provider];
}

/** Which providers the platform itself serves from its configuration, in preference order. */
export function platformProviders(): PlatformProvider[] {
  return PLATFORM_PROVIDER_ORDER.filter((p) => Boolean(platformSetting(p)));
}

// ---------------------------------------------------------------- models

/** Connection details for one candidate. Never logged, never serialized. */
export interface ProviderSecrets {
  apiKey?: string;
  baseURL?: string;
}

export class MissingKeyError extends Error {
  constructor(public readonly provider: ProviderId) {
    super(`No stored API key for ${provider}.`);
    this.name = "MissingKeyError";
  }
}

function ollamaApiBase(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return trimmed.endsWith("/api") ? trimmed : `${trimmed}/api`;
}

/** Reads the key (decrypting a user's) and endpoint for a candidate, at call time. */
export async function secretsFor(candidate: ProviderCandidate, userId?: string): Promise<ProviderSecrets> {
  const e = env();
  if (candidate.provider === "endpoint") {
    const connection = userId && candidate.endpointId ? await endpointConnection(userId, candidate.endpointId) : null;
    if (!connection) throw new MissingKeyError(candidate.provider);
    return { baseURL: connection.baseUrl, apiKey: connection.apiKey };
  }
  if (candidate.source === "user") {
    if (!userId) throw new MissingKeyError(candidate.provider);
    const apiKey = await readUserKey(userId, candidate.provider);
    if (!apiKey) throw new MissingKeyError(candidate.provider);
    return { apiKey, baseURL: candidate.provider === "openai" ? e.OPENAI_BASE_URL : undefined };
  }
  switch (candidate.provider) {
    case "joxcoder":
      return { apiKey: e.JOXCODER_API_KEY, baseURL: e.JOXCODER_API_URL };
    case "openai":
      return { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL };
    case "ollama": {
      const url = e.OLLAMA_BASE_URL ?? localServerUrl("ollama");
      return { baseURL: url && ollamaApiBase(url) };
    }
    case "lmstudio":
      return { baseURL: e.LMSTUDIO_BASE_URL ?? localServerUrl("lmstudio") };
    default:
      return { apiKey: platformSetting(candidate.provider) };
  }
}

/**
 * How long a pooled connection to a provider may sit idle before we close it. Servers close idle
 * keep-alive connections too (Node 5 s + 1 s, uvicorn/vLLM 5 s, gunicorn 2 s, load balancers…), and a
 * request written into a connection the server is closing at that moment fails with "other side
 * closed" / ECONNRESET. undici's defaults keep an unhinted connection 4 s (longer than some servers)
 * and its idle timer starts only when the client has read the whole response, which can be well
 * after the server finished sending it. Closing ours after 1 s, whatever the server advertises,
 * keeps us the side that closes first; an AI call lasts seconds, so one more handshake is nothing.
 */
export const PROVIDER_KEEP_ALIVE_MS = 1_000;

let providerDispatcher: Agent | undefined;

/** The `fetch` every provider SDK uses: undici's (the AI SDK's own dependency) on its own connection pool. */
export const providerFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => {
  providerDispatcher ??= new Agent({ keepAliveTimeout: PROVIDER_KEEP_ALIVE_MS, keepAliveMaxTimeout: PROVIDER_KEEP_ALIVE_MS });
  return undiciFetch(input, { ...init, dispatcher: providerDispatcher });
}) as unknown as typeof globalThis.fetch;

/** Builds the AI SDK model for a candidate. Keys are passed explicitly: no SDK reads process.env. */
export function languageModelFor(candidate: ProviderCandidate, secrets: ProviderSecrets): LanguageModel {
  const apiKey = secrets.apiKey ?? "";
  const fetch = providerFetch;
  switch (candidate.provider) {
    case "endpoint":
      if (!secrets.baseURL) throw new MissingKeyError(candidate.provider);
      return endpointModel({ baseUrl: secrets.baseURL, apiKey: secrets.apiKey }, candidate.model);
    case "joxcoder":
    case "lmstudio": {
      if (!secrets.baseURL) throw new Error(`${candidate.provider} has no base URL.`);
      // HF TGI, LM Studio and vLLM speak OpenAI chat completions; includeUsage asks for usage in the stream.
      return createOpenAICompatible({ name: candidate.provider, baseURL: secrets.baseURL, apiKey: secrets.apiKey, includeUsage: true, fetch }).chatModel(
        candidate.model,
      );
    }
    case "openai":
      // .chat: the Chat Completions API, which OpenAI-compatible gateways (OPENAI_BASE_URL) also speak.
      return createOpenAI({ apiKey, baseURL: secrets.baseURL, fetch }).chat(candidate.model);
    case "anthropic":
      return createAnthropic({ apiKey, baseURL: secrets.baseURL, fetch })(candidate.model);
    case "google":
      return createGoogleGenerativeAI({ apiKey, fetch })(candidate.model);
    case "mistral":
      return createMistral({ apiKey, fetch })(candidate.model);
    case "groq":
      return createGroq({ apiKey, fetch })(candidate.model);
    case "deepseek":
      return createDeepSeek({ apiKey, fetch })(candidate.model);
    case "openrouter":
      return createOpenRouter({ apiKey, fetch }).chat(candidate.model);
    case "ollama":
      return createOllama({ baseURL: secrets.baseURL, fetch })(candidate.model);
  }
}
