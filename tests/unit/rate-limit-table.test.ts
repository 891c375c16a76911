import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { documentedKey, RATE_LIMITS } from "@/lib/rate-limit/table";

/** docs/data-model.md lists the rate-limit keys; the table is where they live. The two must not drift. */
const doc = readFileSync(path.join(import.meta.dirname, "../../docs/data-model.md"), "utf8");
const listed = (() => {
  const sentence = doc.slice(doc.indexOf("Keys used by the app"), doc.indexOf("`<address>` is the client"));
  return new Set([...sentence.matchAll(/`([a-z-]+:[^`]*)`/g)].map((m) => m[1]));
})();

describe("the table of rate limits", () => {
  it("is what docs/data-model.md lists, key for key", () => {
    const keys = new Set(Object.values(RATE_LIMITS).map(documentedKey));
    expect([...listed].sort()).toEqual([...keys].sort());
  });

  it("has one rule per key, each with a window, a positive allowance and a sentence", () => {
    const rules = Object.values(RATE_LIMITS);
    expect(new Set(rules.map(documentedKey)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.max, rule.scope).toBeGreaterThan(0);
      expect(rule.windowMs, rule.scope).toBeGreaterThanOrEqual(60_000);
      expect(rule.message, rule.scope).toMatch(/^[A-Z].*\.$/);
    }
  });
});
