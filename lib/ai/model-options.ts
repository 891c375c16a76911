/**
 * What the browser sees of the models a user may pick (GET /api/models), and of the AI endpoints
 * they added (GET /api/endpoints). Safe to import from client components: no server code here.
 */

/** Providers a user can store a key for in Settings. */
export const KEY_PROVIDER_IDS = ["openai", "anthropic", "google", "mistral", "groq", "deepseek", "openrouter"] as const;

export type KeyProvider = (typeof KEY_PROVIDER_IDS)[number];

/** The same providers with what the Settings page shows for each. */
export const KEY_PROVIDERS: ReadonlyArray<{ id: KeyProvider; label: string; placeholder: string }> = [
  { id: "openai", label: "OpenAI", placeholder: "sk-…" },
  { id: "anthropic", label: "Anthropic", placeholder: "sk-ant-…" },
  { id: "google", label: "Google Gemini", placeholder: "AIza…" },
  { id: "mistral", label: "Mistral", placeholder: "" },
  { id: "groq", label: "Groq", placeholder: "gsk_…" },
  { id: "deepseek", label: "DeepSeek", placeholder: "sk-…" },
  { id: "openrouter", label: "OpenRouter", placeholder: "sk-or-…" },
];

/** Whose account pays the provider for a model: the platform's (credits), or the user's (their key or endpoint). */
export type ModelSource = "platform" | "user" | "endpoint";

export interface ModelOption {
  /** Opaque: what the browser sends back as `model` (lib/ai/model-choice.ts). */
  id: string;
  /** The provider's own model id ("gpt-6-luna", "qwen3-coder:30b"). */
  model: string;
  /** What the picker shows ("GPT-6 Luna"); the model id when the catalog has no label. */
  label: string;
  /** "OpenAI", "Ollama (this machine)", or the name the user gave an endpoint. */
  providerLabel: string;
  source: ModelSource;
  /** Credits per 1,000 tokens; null when the user's own key or endpoint pays (0 credits). */
  price: { input: number; output: number } | null;
}

export interface ModelList {
  models: ModelOption[];
  /** What a run uses when the user picks nothing: null when no model is available at all. */
  defaultId: string | null;
}

/** A user's OpenAI-compatible endpoint as the browser sees it (the key never leaves the server). */
export interface PublicEndpoint {
  id: string;
  name: string;
  baseUrl: string;
  /** Last 4 characters of its key; null when it has none. */
  last4: string | null;
  /** Models it serves: fetched from its `/models`, or typed by the user. */
  models: string[];
  createdAt: number;
}

/** "0.1 / 0.4 credits per 1k tokens" or "your key", for a picker's option. */
export function describePrice(option: Pick<ModelOption, "price" | "source">): string {
  if (option.price === null) return option.source === "endpoint" ? "your endpoint" : "your key";
  const fmt = (n: number) => (n === 0 ? "0" : n < 0.01 ? n.toFixed(3) : String(Number(n.toFixed(2))));
  if (option.price.input === 0 && option.price.output === 0) return "free";
  return `${fmt(option.price.input)} in / ${fmt(option.price.output)} out credits per 1k tokens`;
}
