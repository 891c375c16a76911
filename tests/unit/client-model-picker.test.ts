import { describe, expect, it } from "vitest";
import { displayedModelId, groupByProvider, isUnlisted, modelForRequest, optionText } from "@/components/ai/model-options-view";
import type { ModelList, ModelOption } from "@/lib/ai/model-options";

/** The model picker's view of GET /api/models: options under their provider, which one shows, what a request sends. */

const option = (id: string, providerLabel: string, extra: Partial<ModelOption> = {}): ModelOption => ({
  id,
  model: id,
  label: id,
  providerLabel,
  source: "platform",
  price: { input: 0.1, output: 0.4 },
  ...extra,
});

const list: ModelList = {
  models: [option("gpt", "OpenAI"), option("claude", "Anthropic"), option("gpt-mini", "OpenAI"), option("qwen", "Ollama", { source: "endpoint", price: null })],
  defaultId: "claude",
};

describe("groupByProvider", () => {
  it("keeps the providers in the order the list first names them, and each provider's options in list order", () => {
    const groups = groupByProvider(list.models);
    expect(groups.map((g) => g.providerLabel)).toEqual(["OpenAI", "Anthropic", "Ollama"]);
    expect(groups[0].options.map((o) => o.id)).toEqual(["gpt", "gpt-mini"]);
  });

  it("has no group for an empty list", () => {
    expect(groupByProvider([])).toEqual([]);
  });
});

describe("displayedModelId", () => {
  it("shows the chosen model while the list has it", () => {
    expect(displayedModelId(list, "gpt-mini")).toBe("gpt-mini");
  });

  it("shows the default when nothing is chosen, or when the chosen model is gone", () => {
    expect(displayedModelId(list, null)).toBe("claude");
    expect(displayedModelId(list, "removed-endpoint-model")).toBe("claude");
  });

  it("falls back to the first model when the default is missing or unlisted", () => {
    expect(displayedModelId({ ...list, defaultId: null }, null)).toBe("gpt");
    expect(displayedModelId({ ...list, defaultId: "nowhere" }, null)).toBe("gpt");
  });

  it("shows nothing when no model is available", () => {
    expect(displayedModelId({ models: [], defaultId: null }, "gpt")).toBeNull();
  });
});

describe("isUnlisted", () => {
  it("is true only for a chosen model the list no longer has", () => {
    expect(isUnlisted(list, "gone")).toBe(true);
    expect(isUnlisted(list, "gpt")).toBe(false);
    expect(isUnlisted(list, null)).toBe(false);
  });
});

describe("modelForRequest", () => {
  it("sends the model the picker shows: the default when nothing is chosen, or when the choice is gone", () => {
    expect(modelForRequest(list, null)).toBe(list.defaultId);
    expect(modelForRequest(list, "gone")).toBe(list.defaultId);
    expect(modelForRequest({ models: [], defaultId: null }, null)).toBeUndefined();
  });

  it("sends a listed choice", () => {
    expect(modelForRequest(list, "qwen")).toBe("qwen");
  });

  it("sends the choice as it is, or nothing, while the list has not loaded", () => {
    expect(modelForRequest(undefined, "gone")).toBe("gone");
    expect(modelForRequest(undefined, null)).toBeUndefined();
  });
});

describe("optionText", () => {
  it("is the label and the price", () => {
    expect(optionText(option("gpt", "OpenAI", { label: "GPT-6 Luna" }))).toBe("GPT-6 Luna — 0.1 in / 0.4 out credits per 1k tokens");
    expect(optionText(option("qwen", "Ollama", { label: "qwen3-coder:30b", source: "endpoint", price: null }))).toBe("qwen3-coder:30b — your endpoint");
    expect(optionText(option("k", "OpenAI", { label: "GPT", source: "user", price: null }))).toBe("GPT — your key");
  });
});
