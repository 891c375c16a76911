import { KEY_PROVIDER_IDS, type KeyProvider } from "@/lib/ai/model-options";
import { HttpError } from "@/lib/http/errors";
import { getStore, type ApiKeyRecord, type Id } from "@/lib/store";
import { decryptSecret, encryptSecret, EncryptionKeyError, serverEncryptionKey } from "./crypto";

/**
 * Users' own provider keys: encrypted at rest (bound to user and provider),
 * shown only as their last 4 characters, decrypted only to make a call.
 */

export const USER_KEY_PROVIDERS = KEY_PROVIDER_IDS;
export type UserKeyProvider = KeyProvider;

export function isUserKeyProvider(value: string): value is UserKeyProvider {
  return (USER_KEY_PROVIDERS as readonly string[]).includes(value);
}

/** Tokens for deploy hosts and Git remotes, stored and encrypted exactly like the LLM keys. */
export const SERVICE_TOKEN_PROVIDERS = ["vercel", "netlify", "railway", "github", "gitlab"] as const;
export type ServiceTokenProvider = (typeof SERVICE_TOKEN_PROVIDERS)[number];

export function isServiceTokenProvider(value: string): value is ServiceTokenProvider {
  return (SERVICE_TOKEN_PROVIDERS as readonly string[]).includes(value);
}

/** Everything a user may store under /api/keys. */
export const STORED_KEY_PROVIDERS = [...USER_KEY_PROVIDERS, ...SERVICE_TOKEN_PROVIDERS] as const;
export type StoredKeyProvider = (typeof STORED_KEY_PROVIDERS)[number];

/** What the browser may see of a stored key. */
export interface PublicApiKey {
  provider: string;
  last4: string;
  createdAt: number;
}

const toPublic = (r: ApiKeyRecord): PublicApiKey => ({ provider: r.provider, last4: r.last4, createdAt: r.createdAt });

const keyContext = (userId: Id, provider: string) => `apikey:${userId}:${provider}`;

export const encryptionUnavailable = () =>
  new HttpError(
    503,
    "encryption_unavailable",
    "Saving keys and tokens is disabled on this server: AUTOCREA_ENCRYPTION_KEY is missing or invalid.",
  );

export async function listUserKeys(userId: Id): Promise<PublicApiKey[]> {
  const store = await getStore();
  return (await store.listApiKeys(userId)).map(toPublic);
}

/** Encrypts and stores (replacing any previous key for the provider). 503 when the server cannot encrypt. */
export async function saveUserKey(userId: Id, provider: StoredKeyProvider, apiKey: string): Promise<PublicApiKey> {
  let ciphertext: string;
  try {
    ciphertext = encryptSecret(apiKey, { context: keyContext(userId, provider), key: serverEncryptionKey() });
  } catch (err) {
    if (err instanceof EncryptionKeyError) throw encryptionUnavailable();
    throw err;
  }
  const store = await getStore();
  return toPublic(await store.saveApiKey(userId, provider, ciphertext, apiKey.slice(-4)));
}

export async function deleteUserKey(userId: Id, provider: string): Promise<boolean> {
  const store = await getStore();
  return store.deleteApiKey(userId, provider);
}

/** The user's stored providers, in the store's order (no decryption). */
export async function userKeyProviders(userId: Id): Promise<UserKeyProvider[]> {
  const store = await getStore();
  return (await store.listApiKeys(userId)).map((r) => r.provider).filter(isUserKeyProvider);
}

/** The plaintext key, or null when none is stored. Throws when it cannot be decrypted. */
export async function readUserKey(userId: Id, provider: string): Promise<string | null> {
  const store = await getStore();
  const record = (await store.listApiKeys(userId)).find((r) => r.provider === provider);
  if (!record) return null;
  return decryptSecret(record.ciphertext, { context: keyContext(userId, provider) });
}
