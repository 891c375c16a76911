import { expect } from "@playwright/test";
import type { LlmScript } from "../../fixtures/llm-server/script";

/** The scripted LLM server the e2e config starts (playwright.config.ts, port 4111): what it answers from now on. */
const LLM_CONTROL = "http://127.0.0.1:4111/__control/script";

export async function useScript(script: LlmScript): Promise<void> {
  const response = await fetch(LLM_CONTROL, { method: "PUT", body: JSON.stringify(script), headers: { "content-type": "application/json" } });
  expect(response.ok).toBe(true);
}
