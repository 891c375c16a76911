import { describe, expect, it } from "vitest";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "@/lib/auth/password";

describe("password hashing", () => {
  it("encodes the algorithm, its parameters, a salt and the hash", async () => {
    const encoded = await hashPassword("correct horse battery");
    expect(encoded).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain("correct horse battery");
  });

  it("salts every hash differently", async () => {
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password", a)).toBe(true);
    expect(await verifyPassword("same password", b)).toBe(true);
  });

  it("accepts the right password and rejects a wrong one", async () => {
    const encoded = await hashPassword("correct horse battery");
    expect(await verifyPassword("correct horse battery", encoded)).toBe(true);
    expect(await verifyPassword("correct horse batterY", encoded)).toBe(false);
    expect(await verifyPassword("", encoded)).toBe(false);
  });

  it("treats Unicode-equivalent spellings as the same password", async () => {
    const encoded = await hashPassword("caf\u00e9-password");
    expect(await verifyPassword("cafe\u0301-password", encoded)).toBe(true);
  });

  it("rejects a tampered hash, salt or parameter", async () => {
    const encoded = await hashPassword("correct horse battery");
    const parts = encoded.split("$");
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);

    const tamperedHash = [...parts.slice(0, 5), flip(parts[5])].join("$");
    const tamperedSalt = [...parts.slice(0, 4), flip(parts[4]), parts[5]].join("$");
    const tamperedCost = ["scrypt", "16384", ...parts.slice(2)].join("$");
    for (const bad of [tamperedHash, tamperedSalt, tamperedCost]) {
      expect(await verifyPassword("correct horse battery", bad)).toBe(false);
    }
  });

  it("rejects malformed or abusive stored values without throwing", async () => {
    const encoded = await hashPassword("correct horse battery");
    const [, , r, p, salt, hash] = encoded.split("$");
    const bad = [
      "",
      "plaintext",
      encoded.replace(/^scrypt/, "bcrypt"),
      ["scrypt", "1000", r, p, salt, hash].join("$"), // N not a power of two
      ["scrypt", String(2 ** 24), r, p, salt, hash].join("$"), // N too large
      ["scrypt", "32768", "0", p, salt, hash].join("$"),
      ["scrypt", "32768", r, p, "short", hash].join("$"),
      ["scrypt", "32768", r, p, salt, "not base64!"].join("$"),
      `${encoded}$extra`,
    ];
    for (const value of bad) {
      expect(await verifyPassword("correct horse battery", value)).toBe(false);
    }
  });

  it("the dummy check never succeeds", async () => {
    expect(await verifyAgainstDummy("anything at all")).toBe(false);
  });
});
