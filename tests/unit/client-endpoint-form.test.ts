import { describe, expect, it } from "vitest";
import { endpointBody, parseModelNames } from "@/components/settings/endpoint-form";

/** Settings → "Your AI endpoints": what the add form sends, and what it asks to fix first. */

const draft = { name: "Ollama", baseUrl: "http://localhost:11434/v1", apiKey: "", models: "" };

describe("parseModelNames", () => {
  it("splits on commas, trims, drops empty names and repeats", () => {
    expect(parseModelNames(" qwen3-coder:30b, llama3.3 ,, qwen3-coder:30b,")).toEqual(["qwen3-coder:30b", "llama3.3"]);
    expect(parseModelNames("   ")).toEqual([]);
  });
});

describe("endpointBody", () => {
  it("sends the name and base URL, and the key and models only when given", () => {
    expect(endpointBody(draft)).toEqual({ ok: true, body: { name: "Ollama", baseUrl: "http://localhost:11434/v1" } });
    expect(endpointBody({ ...draft, name: " Gateway ", apiKey: " sk-x ", models: "a, b" })).toEqual({
      ok: true,
      body: { name: "Gateway", baseUrl: "http://localhost:11434/v1", apiKey: "sk-x", models: ["a", "b"] },
    });
  });

  it("asks for a name and a base URL", () => {
    expect(endpointBody({ ...draft, name: " ", baseUrl: "" })).toEqual({
      ok: false,
      errors: { name: expect.any(String), baseUrl: expect.stringContaining("http://localhost:11434/v1") },
    });
  });

  it("accepts only http and https addresses", () => {
    expect(endpointBody({ ...draft, baseUrl: "localhost:11434" }).ok).toBe(false);
    expect(endpointBody({ ...draft, baseUrl: "ftp://example.com" }).ok).toBe(false);
    expect(endpointBody({ ...draft, baseUrl: "https://api.together.xyz/v1" }).ok).toBe(true);
  });
});
