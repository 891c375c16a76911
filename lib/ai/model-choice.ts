import { z } from "zod";
import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { fieldError } from "@/lib/http/fields";
import { userKeyProviders } from "@/lib/secrets/user-keys";
import type { Id } from "@/lib/store";
import { catalogModels, defaultModelOf, modelLabel, priceOf, providerLabel } from "./catalog";
import { listEndpoints } from "./endpoints";
import { detectLocalServers } from "./local-models";
import { KEY_PROVIDER_IDS, type ModelList, type ModelOption } from "./model-options";
import { NoProviderError, platformProviders } from "./providers";
import type { PlatformProvider, ProviderCandidate } from "./types";

/**
 * Which models a user may use, and which ones a call tries, in order (docs/models.md): their own
 * keys' models first, then their endpoints', then the platform's. A user's pick comes first and the
 * other services' defaults follow it as fallbacks (only their own, when the pick is their own).
 */

/** One model a user can pick: what the browser sees, and the candidate a call would use. */
interface Offer {
  option: ModelOption;
  candidate: ProviderCandidate;
}

/** A ModelOption's id: whose account pays, which service, which model. */
export function modelChoiceId(candidate: ProviderCandidate): string {
  if (candidate.provider === "endpoint") return `endpoint:${candidate.endpointId}:${candidate.model}`;
  return `${candidate.source}:${candidate.provider}:${candidate.model}`;
}

const sameService = (a: ProviderCandidate, b: ProviderCandidate) =>
  a.provider === b.provider && a.source === b.source && a.endpointId === b.endpointId;

/** Development only, and only when the operator configured nothing: models served on this machine. */
function looksForLocalModels(): boolean {
  const e = env();
  return e.NODE_ENV !== "production" && e.LOCAL_MODELS === "auto" && platformProviders().length === 0;
}

/** The platform's services with the models each offers, its default first. */
async function platformServices(): Promise<Array<{ provider: PlatformProvider; models: string[]; local?: boolean }>> {
  const configured = platformProviders().map((provider) => ({ provider, models: catalogModels(provider).map((m) => m.id) }));
  if (!looksForLocalModels()) return configured;
  const local = await detectLocalServers();
  return (["ollama", "lmstudio"] as const).flatMap((provider) => {
    const models = local[provider]?.models;
    return models ? [{ provider, models, local: true }] : [];
  });
}

function withDefaultFirst(provider: PlatformProvider, models: string[]): string[] {
  const preferred = defaultModelOf(provider);
  return preferred && models.includes(preferred) ? [preferred, ...models.filter((m) => m !== preferred)] : models;
}

/** Every model the user may pick, in order of preference, each service's default first. */
async function offersFor(userId: Id): Promise<Offer[]> {
  const [keyProviders, endpoints, platform] = await Promise.all([userKeyProviders(userId), listEndpoints(userId), platformServices()]);
  const offers: Offer[] = [];
  const add = (candidate: ProviderCandidate, option: Omit<ModelOption, "id" | "model">) =>
    offers.push({ candidate, option: { id: modelChoiceId(candidate), model: candidate.model, ...option } });

  for (const provider of KEY_PROVIDER_IDS.filter((p) => keyProviders.includes(p))) {
    for (const m of withDefaultFirst(provider, catalogModels(provider).map((c) => c.id))) {
      add({ provider, model: m, source: "user" }, { label: modelLabel(provider, m), providerLabel: `${providerLabel(provider)} (your key)`, source: "user", price: null });
    }
  }
  for (const endpoint of endpoints) {
    for (const m of endpoint.models) {
      add({ provider: "endpoint", endpointId: endpoint.id, model: m, source: "user" }, { label: m, providerLabel: endpoint.name, source: "endpoint", price: null });
    }
  }
  for (const { provider, models, local } of platform) {
    for (const m of withDefaultFirst(provider, models)) {
      const w = priceOf(provider, m);
      add(
        { provider, model: m, source: "platform" },
        {
          label: modelLabel(provider, m),
          providerLabel: local ? `${providerLabel(provider)} (this machine)` : providerLabel(provider),
          source: "platform",
          price: { input: w.inputMilliPer1K / 1000, output: w.outputMilliPer1K / 1000 },
        },
      );
    }
  }
  return offers;
}

/** Each service's default model, in order: what a call tries when nobody picked a model. */
function defaultsOf(offers: Offer[]): ProviderCandidate[] {
  const defaults: ProviderCandidate[] = [];
  for (const { candidate } of offers) if (!defaults.some((d) => sameService(d, candidate))) defaults.push(candidate);
  return defaults;
}

/** GET /api/models: what the pickers list, and what a run uses by default. */
export async function listModelOptions(userId: Id): Promise<ModelList> {
  const offers = await offersFor(userId);
  const first = defaultsOf(offers)[0];
  return { models: offers.map((o) => o.option), defaultId: first ? modelChoiceId(first) : null };
}

export interface ResolveOptions {
  /** A ModelOption id the user picked for this call: 400 when it is not available. */
  model?: string;
  /** The project's remembered pick: used when still available, ignored otherwise. */
  remembered?: string | null;
}

/** The candidates a user's call tries, in order. Throws NoProviderError (503) when there is none. */
export async function resolveCandidates(userId: Id, options: ResolveOptions = {}): Promise<ProviderCandidate[]> {
  const offers = await offersFor(userId);
  const defaults = defaultsOf(offers);
  if (defaults.length === 0) throw new NoProviderError();

  const find = (id: string | null | undefined) => (id ? offers.find((o) => o.option.id === id)?.candidate : undefined);
  let chosen = find(options.model);
  if (options.model !== undefined && !chosen) {
    throw new HttpError(400, "unknown_model", "That model is not available any more: pick another one.", { field: "model" });
  }
  chosen ??= find(options.remembered);
  if (!chosen) return defaults;
  // A model on the user's own key or endpoint falls back only to their other services: nobody
  // who picked their own model expects a provider failure to spend their credits.
  const fallbacks = defaults.filter((d) => !sameService(d, chosen) && (chosen.source === "platform" || d.source === "user"));
  return [chosen, ...fallbacks];
}

/** The `model` field of request bodies: a ModelOption id. */
export const modelChoiceField = z
  .string({ error: fieldError("model", "a model id from GET /api/models") })
  .trim()
  .min(1, { error: "model is empty: leave it out to use the default." })
  .max(300, { error: "model must be at most 300 characters." });
