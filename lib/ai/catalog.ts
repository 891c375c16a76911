import { readFileSync } from "node:fs";
import { z } from "zod";
import bundledCatalog from "@/config/ai-models.json";
import { env } from "@/lib/env";
import type { PlatformProvider, ProviderId } from "./types";

/**
 * The platform's models and prices, read from data the operator edits: `config/ai-models.json`,
 * or the file AI_MODELS_FILE names (docs/models.md). Nothing else in the code knows a model's
 * name or price.
 */

const price = z.strictObject({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
});

const providerEntry = z.strictObject({
  label: z.string().min(1),
  /** Applies to every model of this provider that has no price of its own (JoxCoder, local servers). */
  price: price.optional(),
  default: z.string().min(1).optional(),
  models: z.array(z.strictObject({ id: z.string().min(1), label: z.string().min(1).optional(), price: price.optional() })),
});

const PLATFORM_PROVIDERS = ["joxcoder", "openai", "anthropic", "google", "mistral", "groq", "deepseek", "openrouter", "ollama", "lmstudio"] as const;

const catalogSchema = z.strictObject({
  $comment: z.string().optional(),
  priceUnit: z.literal("milli-credits per 1000 tokens"),
  fallbackPrice: price,
  providers: z.strictObject(Object.fromEntries(PLATFORM_PROVIDERS.map((p) => [p, providerEntry])) as Record<PlatformProvider, typeof providerEntry>),
});

type Catalog = z.infer<typeof catalogSchema>;
type Price = z.infer<typeof price>;

/** Milli-credits per 1,000 tokens (integers, so sums are exact). */
export interface ModelWeights {
  inputMilliPer1K: number;
  outputMilliPer1K: number;
}

export interface CatalogModel {
  id: string;
  label: string;
}

let loaded: { file: string | undefined; catalog: Catalog } | undefined;

function catalog(): Catalog {
  const file = env().AI_MODELS_FILE;
  if (!loaded || loaded.file !== file) {
    const raw: unknown = file ? JSON.parse(readFileSync(file, "utf8")) : bundledCatalog;
    const parsed = catalogSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`The model catalog ${file ?? "config/ai-models.json"} is invalid: ${z.prettifyError(parsed.error)}`);
    }
    loaded = { file, catalog: parsed.data };
  }
  return loaded.catalog;
}

const weights = (p: Price): ModelWeights => ({ inputMilliPer1K: p.input, outputMilliPer1K: p.output });

const entryOf = (provider: ProviderId) => (provider === "endpoint" ? undefined : catalog().providers[provider]);

/** What a platform call on this model costs: the model's price, else its provider's, else the fallback. */
export function priceOf(provider: ProviderId, model: string): ModelWeights {
  const entry = entryOf(provider);
  const own = entry?.models.find((m) => m.id === model)?.price;
  return weights(own ?? entry?.price ?? catalog().fallbackPrice);
}

export function providerLabel(provider: ProviderId): string {
  return entryOf(provider)?.label ?? provider;
}

/** The models the catalog lists for a provider (JoxCoder: the one JOXCODER_MODEL names). */
export function catalogModels(provider: ProviderId): CatalogModel[] {
  if (provider === "joxcoder") {
    const model = defaultModelOf("joxcoder")!;
    return [{ id: model, label: modelLabel(provider, model) }];
  }
  return (entryOf(provider)?.models ?? []).map((m) => ({ id: m.id, label: m.label ?? m.id }));
}

export function modelLabel(provider: ProviderId, model: string): string {
  const entry = entryOf(provider);
  const listed = entry?.models.find((m) => m.id === model)?.label;
  if (listed) return listed;
  // JoxCoder's model is whatever the operator deployed (JOXCODER_MODEL): name the provider too.
  return provider === "joxcoder" && entry ? `${entry.label} (${model})` : model;
}

/** The model a provider's calls use when nobody picked one; undefined when the catalog names none. */
export function defaultModelOf(provider: ProviderId): string | undefined {
  if (provider === "joxcoder") return env().JOXCODER_MODEL ?? entryOf(provider)?.models[0]?.id ?? "joxcoder";
  const entry = entryOf(provider);
  return entry?.default ?? entry?.models[0]?.id;
}

/** Tests only: read the catalog again (after changing AI_MODELS_FILE). */
export function reloadCatalogForTests(): void {
  loaded = undefined;
}
