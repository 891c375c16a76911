import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { createOllama } from "ollama-ai-provider-v2";
import { Agent, fetch as undiciFetch } from "undici";
import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { readUserKey, userKeyProviders } from "@/lib/secrets/user-keys";
import type { ProviderCandidate, ProviderId } from "./types";

/**
 * The one provider registry (docs/architecture.md#llm-providers). Order of preference for a user:
 * their own keys, then the platform's JoxCoder endpoint, then platform
 * OpenAI, Anthropic, Ollama. A ProviderCandidate never carries a key: keys
 * are read by `secretsFor` at call time, right before `languageModelFor`.
 */

export const PROVIDER_ORDER: readonly ProviderId[] = ["joxcoder", "openai", "anthropic", "ollama"];

const STATIC_DEFAULT_MODELS: Record<Exclude<ProviderId, "joxcoder">, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-haiku-4-5",
  ollama: "qwen2.5-coder:7b",
};

/** Default model per provider (JoxCoder's comes from JOXCODER_MODEL). */
export function defaultModelFor(provider: ProviderId): string {
  if (provider === "joxcoder") return env().JOXCODER_MODEL ?? "joxcoder";
  return STATIC_DEFAULT_MODELS[provider];
}

/** Models a caller may ask for by name, and the provider that serves each. */
const MODEL_CATALOG: Readonly<Record<string, ProviderId>> = {
  "gpt-4o-mini": "openai",
  "gpt-4o": "openai",
  "gpt-4.1": "openai",
  "gpt-4.1-mini": "openai",
  "claude-haiku-4-5": "anthropic",
  "claude-sonnet-4-5": "anthropic",
  "qwen2.5-coder:7b": "ollama",
};

export function providerForModel(model: string): ProviderId | undefined {
  if (model === defaultModelFor("joxcoder")) return "joxcoder";
  return Object.hasOwn(MODEL_CATALOG, model) ? MODEL_CATALOG[model] : undefined;
}

export class NoProviderError extends HttpError {
  constructor() {
    super(
      503,
      "no_provider",
      "No AI provider is configured: add your own API key in settings, or ask the administrator to set JOXCODER_API_URL, OPENAI_API_KEY, ANTHROPIC_API_KEY or OLLAMA_BASE_URL.",
    );
    this.name = "NoProviderError";
  }
}

/** Which providers the platform itself can serve, in preference order. */
export function platformProviders(): ProviderId[] {
  const e = env();
  const configured: Record<ProviderId, boolean> = {
    joxcoder: Boolean(e.JOXCODER_API_URL),
    openai: Boolean(e.OPENAI_API_KEY),
    anthropic: Boolean(e.ANTHROPIC_API_KEY),
    ollama: Boolean(e.OLLAMA_BASE_URL),
  };
  return PROVIDER_ORDER.filter((p) => configured[p]);
}

export interface ResolveOptions {
  /** A model from the catalog: its provider's candidates use it and come first (users' keys still before the platform's). */
  preferredModel?: string;
}

/** The candidates a user's call tries, in order. Throws NoProviderError (503) when there is none. */
export async function resolveCandidates(userId: string, options: ResolveOptions = {}): Promise<ProviderCandidate[]> {
  const own = await userKeyProviders(userId);
  const userCandidates = PROVIDER_ORDER.filter((p) => own.includes(p as (typeof own)[number])).map(
    (provider): ProviderCandidate => ({ provider, model: defaultModelFor(provider), source: "user" }),
  );
  const platformCandidates = platformProviders().map(
    (provider): ProviderCandidate => ({ provider, model: defaultModelFor(provider), source: "platform" }),
  );
  let candidates = [...userCandidates, ...platformCandidates];

  if (options.preferredModel !== undefined) {
    const preferred = providerForModel(options.preferredModel);
    if (!preferred) {
      throw new HttpError(400, "unknown_model", `Unknown model "${options.preferredModel}".`);
    }
    const matching = candidates
      .filter((c) => c.provider === preferred)
      .map((c) => ({ ...c, model: options.preferredModel! }));
    candidates = [...matching, ...candidates.filter((c) => c.provider !== preferred)];
  }

  if (candidates.length === 0) throw new NoProviderError();
  return candidates;
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
    case "anthropic":
      return { apiKey: e.ANTHROPIC_API_KEY };
    case "ollama":
      return { baseURL: e.OLLAMA_BASE_URL && ollamaApiBase(e.OLLAMA_BASE_URL) };
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
  switch (candidate.provider) {
    case "joxcoder": {
      if (!secrets.baseURL) throw new Error("JOXCODER_API_URL is not set.");
      // HF TGI and the HF router speak OpenAI chat completions; includeUsage asks for usage in the stream.
      return createOpenAICompatible({
        name: "joxcoder",
        baseURL: secrets.baseURL,
        apiKey: secrets.apiKey,
        includeUsage: true,
        fetch: providerFetch,
      }).chatModel(candidate.model);
    }
    case "openai":
      // .chat: the Chat Completions API, which OpenAI-compatible gateways (OPENAI_BASE_URL) also speak.
      return createOpenAI({ apiKey: secrets.apiKey ?? "", baseURL: secrets.baseURL, fetch: providerFetch }).chat(candidate.model);
    case "anthropic":
      return createAnthropic({ apiKey: secrets.apiKey ?? "", baseURL: secrets.baseURL, fetch: providerFetch })(candidate.model);
    case "ollama":
      return createOllama({ baseURL: secrets.baseURL, fetch: providerFetch })(candidate.model);
  }
}
