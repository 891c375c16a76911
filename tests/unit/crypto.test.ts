import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import {
  decryptSecret,
  DecryptionError,
  encryptSecret,
  EncryptionKeyError,
  isEncryptionConfigured,
  parseEncryptionKey,
  serverEncryptionKey,
} from "@/lib/secrets/crypto";

const key = randomBytes(32);

describe("encryptSecret / decryptSecret", () => {
  it("round-trips, with a fresh IV every time and no plaintext in the output", () => {
    const secret = "sk-live-abcdef1234567890";
    const a = encryptSecret(secret, { key });
    const b = encryptSecret(secret, { key });
    expect(a).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(decryptSecret(a, { key })).toBe(secret);
    expect(decryptSecret(b, { key })).toBe(secret);
  });

  it("round-trips unicode and empty strings", () => {
    for (const secret of ["", "clé-🔑-ключ"]) {
      expect(decryptSecret(encryptSecret(secret, { key }), { key })).toBe(secret);
    }
  });

  it("detects tampering with the data, the tag or the IV", () => {
    const [version, iv, tag, data] = encryptSecret("top secret value", { key }).split(":");
    const flip = (part: string) => {
      const bytes = Buffer.from(part, "base64url");
      bytes[0] ^= 1;
      return bytes.toString("base64url");
    };
    for (const tampered of [
      [version, iv, tag, flip(data)],
      [version, iv, flip(tag), data],
      [version, flip(iv), tag, data],
    ]) {
      expect(() => decryptSecret(tampered.join(":"), { key })).toThrow(DecryptionError);
    }
  });

  it("refuses a wrong key, a wrong context and an unknown format", () => {
    const sealed = encryptSecret("value", { key, context: "apikey:u1:openai" });
    expect(() => decryptSecret(sealed, { key: randomBytes(32), context: "apikey:u1:openai" })).toThrow(DecryptionError);
    expect(() => decryptSecret(sealed, { key, context: "apikey:u2:openai" })).toThrow(DecryptionError);
    expect(() => decryptSecret(sealed, { key })).toThrow(DecryptionError);
    expect(decryptSecret(sealed, { key, context: "apikey:u1:openai" })).toBe("value");
    expect(() => decryptSecret(sealed.replace(/^v1/, "v9"), { key })).toThrow(/format/);
    expect(() => decryptSecret("garbage", { key })).toThrow(DecryptionError);
  });
});

describe("the server key", () => {
  const saved = process.env.AUTOCREA_ENCRYPTION_KEY;
  afterEach(() => {
    if (saved === undefined) delete process.env.AUTOCREA_ENCRYPTION_KEY;
    else process.env.AUTOCREA_ENCRYPTION_KEY = saved;
    resetEnvForTests();
  });

  it("accepts 32 bytes as hex or base64", () => {
    expect(parseEncryptionKey(key.toString("hex")).equals(key)).toBe(true);
    expect(parseEncryptionKey(key.toString("base64")).equals(key)).toBe(true);
    expect(parseEncryptionKey(key.toString("base64url")).equals(key)).toBe(true);
  });

  it("explains a missing or wrong-length key", () => {
    expect(() => parseEncryptionKey(undefined)).toThrow(/not set/);
    expect(() => parseEncryptionKey(randomBytes(16).toString("hex"))).toThrow(/32 bytes/);
    expect(() => parseEncryptionKey(randomBytes(31).toString("base64"))).toThrow(EncryptionKeyError);
    expect(() => parseEncryptionKey("not a key at all!")).toThrow(EncryptionKeyError);
  });

  it("is read from AUTOCREA_ENCRYPTION_KEY and used by default", () => {
    delete process.env.AUTOCREA_ENCRYPTION_KEY;
    resetEnvForTests();
    expect(isEncryptionConfigured()).toBe(false);
    expect(() => encryptSecret("x")).toThrow(EncryptionKeyError);

    process.env.AUTOCREA_ENCRYPTION_KEY = key.toString("hex");
    resetEnvForTests();
    expect(isEncryptionConfigured()).toBe(true);
    expect(serverEncryptionKey().equals(key)).toBe(true);
    expect(decryptSecret(encryptSecret("x"), { key })).toBe("x");
  });
});
