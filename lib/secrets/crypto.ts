import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { env } from "@/lib/env";

/**
 * AES-256-GCM for secrets at rest (users' provider keys), under the server
 * key AUTOCREA_ENCRYPTION_KEY (32 bytes, hex or base64).
 *
 * Format: `v1:<iv>:<tag>:<data>`, each part base64url; a fresh 12-byte IV per
 * encryption. An optional `context` is bound as additional authenticated
 * data, so a ciphertext copied to another row (another user or provider)
 * does not decrypt there.
 */

const VERSION = "v1";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncryptionKeyError";
  }
}

export class DecryptionError extends Error {
  constructor(message = "The secret could not be decrypted (wrong key or tampered data).") {
    super(message);
    this.name = "DecryptionError";
  }
}

/** Parses a 32-byte key given as 64 hex characters or base64/base64url. */
export function parseEncryptionKey(value: string | undefined): Buffer {
  const text = value?.trim();
  if (!text) throw new EncryptionKeyError("AUTOCREA_ENCRYPTION_KEY is not set.");
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const bytes = Buffer.from(text, "base64");
    if (bytes.length === KEY_BYTES) return bytes;
  }
  throw new EncryptionKeyError(
    `AUTOCREA_ENCRYPTION_KEY must be ${KEY_BYTES} bytes, as 64 hex characters or base64 (e.g. \`openssl rand -hex 32\`).`,
  );
}

/** The server key from the environment; throws EncryptionKeyError when missing or malformed. */
export function serverEncryptionKey(): Buffer {
  return parseEncryptionKey(env().AUTOCREA_ENCRYPTION_KEY);
}

export function isEncryptionConfigured(): boolean {
  try {
    serverEncryptionKey();
    return true;
  } catch {
    return false;
  }
}

export interface SecretOptions {
  /** Bound as AAD: decryption must pass the same value. */
  context?: string;
  /** Defaults to the server key. */
  key?: Buffer;
}

export function encryptSecret(plaintext: string, { context, key = serverEncryptionKey() }: SecretOptions = {}): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (context !== undefined) cipher.setAAD(Buffer.from(context, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, tag, data].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(":");
}

export function decryptSecret(ciphertext: string, { context, key = serverEncryptionKey() }: SecretOptions = {}): string {
  const parts = ciphertext.split(":");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError("Unknown secret format.");
  const [iv, tag, data] = parts.slice(1).map((p) => Buffer.from(p, "base64url"));
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError("Malformed secret.");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    if (context !== undefined) decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError();
  }
}
