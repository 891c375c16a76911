import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, type LanguageModel } from "ai";
import { z } from "zod";
import { readBoundedText } from "@/lib/http/bounded-body";
import { HttpError, notFound } from "@/lib/http/errors";
import { fieldError } from "@/lib/http/fields";
import { checkEndpointUrl, guardedFetch, MAX_ENDPOINT_URL_LENGTH, OutboundRefusedError } from "@/lib/http/outbound-guard";
import { log } from "@/lib/log";
import { decryptSecret, DecryptionError, encryptSecret, EncryptionKeyError, serverEncryptionKey } from "@/lib/secrets/crypto";
import { encryptionUnavailable } from "@/lib/secrets/user-keys";
import { getStore, type AiEndpointRecord, type Id } from "@/lib/store";
import { describeError } from "./call";
import type { PublicEndpoint } from "./model-options";
import { failureMessage } from "./provider-failures";

/**
 * Users' own OpenAI-compatible endpoints (Ollama, LM Studio, vLLM, a company gateway…): a name, a
 * base URL, an optional key and the models it serves. Every request to one goes through the
 * outbound guard (lib/http/outbound-guard.ts). The key is encrypted like users' provider keys
 * (lib/secrets/user-keys.ts), bound to the user and to the base URL it is sent to, so a ciphertext
 * moved to another row (another user, another address) does not decrypt; it never leaves the server.
 */

export const MAX_ENDPOINTS_PER_USER = 20;
export const ENDPOINT_NAME_MAX = 60;
export const MAX_ENDPOINT_MODELS = 200;
export const MODEL_ID_MAX = 200;
const API_KEY_MAX = 2048;

/** How long listing an endpoint's models may take, and a test call. */
const LIST_TIMEOUT_MS = 5_000;
const TEST_TIMEOUT_MS = 20_000;
/** A large gateway's model list (OpenRouter's, with descriptions) is a few MB. */
const MAX_MODEL_LIST_BYTES = 8 * 1024 * 1024;
const SAMPLE_MAX = 200;

// C0 and C1 controls, DEL, the invisible formatting characters (bidirectional overrides,
// zero-width…) and the line and paragraph separators.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

const modelIdSchema = (field: string) =>
  z
    .string({ error: fieldError(field, "a string") })
    .trim()
    .min(1)
    .max(MODEL_ID_MAX)
    .refine((id) => !NOT_PRINTABLE.test(id), { error: `${field} must not contain control or invisible characters.` });

export const addEndpointSchema = z.strictObject({
  name: z
    .string({ error: fieldError("name", "a string") })
    .trim()
    .min(1)
    .max(ENDPOINT_NAME_MAX)
    .refine((name) => !NOT_PRINTABLE.test(name), { error: "name must not contain control or invisible characters." }),
  baseUrl: z
    .string({ error: fieldError("baseUrl", "a URL like https://api.example.com/v1") })
    .trim()
    .min(1)
    .max(MAX_ENDPOINT_URL_LENGTH),
  /** Empty or null: the endpoint needs no key. */
  apiKey: z
    .string({ error: fieldError("apiKey", "a string") })
    .trim()
    .max(API_KEY_MAX)
    .regex(/^\S*$/, { error: "apiKey must not contain spaces." })
    .nullish()
    .transform((key) => key || undefined),
  /** Typed by the user: used when the endpoint does not list its models, and listed first when it does. */
  models: z
    .array(modelIdSchema("model name"), { error: fieldError("models", "a list of model names") })
    .max(MAX_ENDPOINT_MODELS)
    .optional(),
});

export const testEndpointSchema = z.strictObject({ model: modelIdSchema("model") });

export type AddEndpointInput = z.input<typeof addEndpointSchema>;

const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,64}$/;

const toPublic = (r: AiEndpointRecord): PublicEndpoint => ({
  id: r.id,
  name: r.name,
  baseUrl: r.baseUrl,
  last4: r.last4,
  models: r.models,
  createdAt: r.createdAt,
});

const keyContext = (userId: Id, baseUrl: string) => `endpoint:${userId}:${baseUrl}`;

async function findEndpoint(userId: Id, endpointId: string): Promise<AiEndpointRecord | null> {
  if (!ENDPOINT_ID.test(endpointId)) return null;
  return (await getStore()).getAiEndpoint(userId, endpointId);
}

async function requireEndpoint(userId: Id, endpointId: string): Promise<AiEndpointRecord> {
  const endpoint = await findEndpoint(userId, endpointId);
  if (!endpoint) throw notFound("AI endpoint");
  return endpoint;
}

export async function listEndpoints(userId: Id): Promise<PublicEndpoint[]> {
  return (await (await getStore()).listAiEndpoints(userId)).map(toPublic);
}

function decryptKey(endpoint: AiEndpointRecord): string | undefined {
  if (endpoint.ciphertext === null) return undefined;
  try {
    return decryptSecret(endpoint.ciphertext, { context: keyContext(endpoint.userId, endpoint.baseUrl) });
  } catch (err) {
    if (err instanceof EncryptionKeyError) throw encryptionUnavailable();
    if (err instanceof DecryptionError) {
      throw new HttpError(
        409,
        "endpoint_key_unreadable",
        `The key saved for the endpoint "${endpoint.name}" can no longer be decrypted (the server's encryption key changed); remove the endpoint and add it again.`,
      );
    }
    throw err;
  }
}

/** Decrypts for a call; null when the endpoint is not the user's. */
export async function endpointConnection(userId: Id, endpointId: string): Promise<{ baseUrl: string; apiKey?: string } | null> {
  const endpoint = await findEndpoint(userId, endpointId);
  if (!endpoint) return null;
  const apiKey = decryptKey(endpoint);
  return apiKey === undefined ? { baseUrl: endpoint.baseUrl } : { baseUrl: endpoint.baseUrl, apiKey };
}

/** The AI SDK model for an endpoint: OpenAI chat completions, usage included, through the outbound guard. */
export function endpointModel(connection: { baseUrl: string; apiKey?: string }, model: string): LanguageModel {
  return createOpenAICompatible({
    name: "endpoint",
    baseURL: connection.baseUrl,
    apiKey: connection.apiKey,
    includeUsage: true,
    fetch: guardedFetch,
  })(model);
}

// ---------------------------------------------------------------- listing an endpoint's models

type ModelListing =
  | { listed: true; models: string[] }
  /** The server answered, but not with a list of models: why, for a sentence. */
  | { listed: false; why: string };

/** The guard's refusal inside an error (the AI SDK and undici wrap what fetch threw), if that is what it is. */
function refusalIn(err: unknown): OutboundRefusedError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof OutboundRefusedError) return e;
  }
  return undefined;
}

/** The first system error code (ECONNREFUSED, ENOTFOUND…) in an error's causes. */
function systemCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const first = e instanceof AggregateError ? (e.errors[0] as { code?: unknown } | undefined)?.code : undefined;
    if (typeof first === "string") return first;
  }
  return undefined;
}

const isTimeout = (err: unknown) => err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");

/** Why a request never got an answer, as the end of "Could not reach <host>: …". */
function unreachableReason(err: unknown): string {
  if (isTimeout(err)) return `it did not answer within ${LIST_TIMEOUT_MS / 1000} seconds`;
  const code = systemCode(err) ?? "";
  if (code === "ECONNREFUSED") return "nothing is listening at that address (connection refused)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name could not be found";
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return "the connection timed out or the network is unreachable";
  }
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") return "it closed the connection";
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return "its TLS certificate is not trusted";
  return "the connection failed";
}

/** GET <baseUrl>/models (OpenAI's `{data: [{id}]}`): the valid ids, deduplicated, at most MAX_ENDPOINT_MODELS. */
async function listModels(baseUrl: string, apiKey: string | undefined): Promise<ModelListing> {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/models`;
  let response: Response;
  try {
    response = await guardedFetch(url, {
      headers: { accept: "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
    });
  } catch (err) {
    throw refusalIn(err) ?? unreachable(url, err);
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => undefined);
    const what = apiKey ? "refused the API key" : "asks for an API key; give one";
    throw new HttpError(400, "endpoint_key_refused", `The endpoint at ${url.host} ${what} (HTTP ${response.status}).`, { field: "apiKey" });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return { listed: false, why: `GET ${url.pathname} answered HTTP ${response.status}` };
  }
  let text: string | undefined;
  try {
    // readBoundedText reads any fetch body: it needs only its headers and stream.
    text = await readBoundedText(response as unknown as Request, MAX_MODEL_LIST_BYTES);
  } catch (err) {
    throw refusalIn(err) ?? unreachable(url, err);
  }
  if (text === undefined) return { listed: false, why: `its model list is larger than ${MAX_MODEL_LIST_BYTES / 1024 / 1024} MB` };
  const models = modelIdsIn(text);
  if (models === undefined) return { listed: false, why: `GET ${url.pathname} did not answer with a list of models` };
  if (models.length === 0) return { listed: false, why: "it listed no models" };
  return { listed: true, models };
}

function modelIdsIn(text: string): string[] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const ids = data.map((entry) => (entry as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === "string");
  return uniqueModels(ids.map((id) => id.trim()).filter((id) => id.length > 0 && id.length <= MODEL_ID_MAX && !NOT_PRINTABLE.test(id)));
}

const uniqueModels = (ids: string[]) => [...new Set(ids)].slice(0, MAX_ENDPOINT_MODELS);

/** A request that got no answer: logged with the raw error, answered with a sentence that names the host. */
function unreachable(url: URL, err: unknown): HttpError {
  const reason = unreachableReason(err);
  log.warn({ host: url.host, code: systemCode(err), err }, "AI endpoint could not be reached");
  return new HttpError(502, "endpoint_unreachable", `Could not reach the endpoint at ${url.host}: ${reason}.`);
}

// ---------------------------------------------------------------- the operations

/**
 * Adds an endpoint after listing its models: a refused address is the guard's 400, an endpoint
 * that does not answer is 502, one that refuses the key is 400. One that answers without listing
 * its models is added with the models typed, if any (400 otherwise). 409 past MAX_ENDPOINTS_PER_USER.
 */
export async function addEndpoint(userId: Id, input: AddEndpointInput): Promise<PublicEndpoint> {
  const { name, baseUrl: rawUrl, apiKey, models: typed = [] } = addEndpointSchema.parse(input);
  const store = await getStore();
  if ((await store.listAiEndpoints(userId)).length >= MAX_ENDPOINTS_PER_USER) {
    throw new HttpError(
      409,
      "too_many_endpoints",
      `You already have ${MAX_ENDPOINTS_PER_USER} AI endpoints, the most allowed; remove one before adding another.`,
    );
  }
  const baseUrl = checkEndpointUrl(rawUrl).href;
  // Before any request: a key that cannot be stored is refused without calling the endpoint.
  let ciphertext: string | null = null;
  if (apiKey) {
    try {
      ciphertext = encryptSecret(apiKey, { context: keyContext(userId, baseUrl), key: serverEncryptionKey() });
    } catch (err) {
      if (err instanceof EncryptionKeyError) throw encryptionUnavailable();
      throw err;
    }
  }
  const listing = await listModels(baseUrl, apiKey);
  const models = uniqueModels([...typed, ...(listing.listed ? listing.models : [])]);
  if (models.length === 0) {
    const why = listing.listed ? "" : ` (${listing.why})`;
    throw new HttpError(
      400,
      "models_required",
      `The endpoint at ${new URL(baseUrl).host} did not list its models${why}; type the model names.`,
      { field: "models" },
    );
  }
  const record = await store.createAiEndpoint(userId, { name, baseUrl, ciphertext, last4: apiKey ? apiKey.slice(-4) : null, models });
  return toPublic(record);
}

export async function removeEndpoint(userId: Id, endpointId: string): Promise<boolean> {
  if (!ENDPOINT_ID.test(endpointId)) return false;
  return (await getStore()).deleteAiEndpoint(userId, endpointId);
}

/** Replaces the endpoint's models with those it lists now; 502 (nothing changed) when it lists none. */
export async function refreshEndpointModels(userId: Id, endpointId: string): Promise<PublicEndpoint> {
  const endpoint = await requireEndpoint(userId, endpointId);
  const listing = await listModels(endpoint.baseUrl, decryptKey(endpoint));
  if (!listing.listed) {
    throw new HttpError(
      502,
      "models_unlisted",
      `The endpoint at ${new URL(endpoint.baseUrl).host} did not list its models (${listing.why}); it keeps the models it had.`,
    );
  }
  return toPublic(await (await getStore()).updateAiEndpoint(userId, endpoint.id, { models: listing.models }));
}

/**
 * A real, small completion with one of the endpoint's models: its first words as `sample`. A
 * failure is a sentence (lib/ai/provider-failures.ts; the endpoint's own text goes to the log only).
 */
export async function testEndpoint(userId: Id, endpointId: string, model: string): Promise<{ ok: true; model: string; sample: string }> {
  const endpoint = await requireEndpoint(userId, endpointId);
  const { model: wanted } = testEndpointSchema.parse({ model });
  if (!endpoint.models.includes(wanted)) {
    throw new HttpError(400, "unknown_model", `"${wanted}" is not one of this endpoint's models; pick one of them or refresh its models.`, {
      field: "model",
    });
  }
  const apiKey = decryptKey(endpoint);
  try {
    const { text } = await generateText({
      model: endpointModel({ baseUrl: endpoint.baseUrl, apiKey }, wanted),
      prompt: "Reply with OK.",
      maxOutputTokens: 16,
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(TEST_TIMEOUT_MS),
    });
    return { ok: true, model: wanted, sample: text.trim().slice(0, SAMPLE_MAX) };
  } catch (err) {
    const refusal = refusalIn(err);
    if (refusal) throw refusal;
    const error = isTimeout(err) ? `timeout: no answer in ${TEST_TIMEOUT_MS / 1000} s` : describeError(err, { apiKey });
    log.warn({ host: new URL(endpoint.baseUrl).host, model: wanted, code: error.split(":")[0], error }, "AI endpoint test failed");
    throw new HttpError(502, "endpoint_test_failed", failureMessage(`The endpoint "${endpoint.name}"`, error), { model: wanted });
  }
}
