import { expect, test } from "@playwright/test";
import todoApp from "../fixtures/llm-server/scripts/todo-app";
import { signUp } from "./support/accounts";
import { useScript } from "./support/llm";

/**
 * Bringing one's own model: an OpenAI-compatible endpoint added in Settings (the suite's scripted
 * LLM server, which the suite's server allows with AI_ENDPOINT_ALLOWED_PRIVATE) lists its models;
 * in the new-project form the picker offers them beside the platform's JoxCoder, the estimate
 * follows the pick, and a run on the user's endpoint costs no credits.
 */

const LLM_URL = "http://127.0.0.1:4111/v1";

test("add an endpoint in Settings, pick its model in the new-project form, see the estimate change, run on it for free", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await useScript(todoApp);
  await signUp(page, "Grace");

  // Before: the platform's model only.
  await page.getByLabel(/Description of the app/).fill("A small todo app with a Node.js server and an in-memory API.");
  const picker = page.getByLabel("Model", { exact: true });
  await expect(picker.locator("option")).toHaveText([/^JoxCoder — [\d.]+ in \/ [\d.]+ out credits per 1k tokens$/]);
  const estimate = page.getByText(/^Estimated cost:/);
  await expect(estimate).toContainText(/up to \d+ credits/);
  const platformEstimate = Number((await estimate.textContent())!.match(/up to (\d+) credit/)![1]);
  expect(platformEstimate).toBeGreaterThan(1);
  expect(platformEstimate).toBeLessThanOrEqual(50);

  // Settings: the endpoint's /models answers the scripted server's model.
  await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
  const endpoints = page.getByRole("region", { name: "Your AI endpoints" });
  await endpoints.getByLabel("Name").fill("Office gateway");
  await endpoints.getByLabel("Base URL").fill(LLM_URL);
  await endpoints.getByRole("button", { name: "Add endpoint" }).click();
  await expect(endpoints.getByText("Office gateway added with 1 model")).toBeVisible();
  await expect(endpoints.getByRole("list", { name: "Models of Office gateway" })).toContainText("joxcoder-test");

  // An address the operator did not allow is refused with a sentence.
  await endpoints.getByLabel("Name").fill("Metadata");
  await endpoints.getByLabel("Base URL").fill("http://169.254.169.254/latest");
  await endpoints.getByRole("textbox", { name: /^Models/ }).fill("x");
  await endpoints.getByRole("button", { name: "Add endpoint" }).click();
  await expect(endpoints.getByText(/169\.254\.169\.254 is a link-local address/)).toBeVisible();

  // The picker now offers the endpoint's model first; the estimate follows the pick both ways.
  await page.getByRole("navigation").getByRole("link", { name: "Dashboard" }).click();
  await page.getByLabel("Name").fill("Own Model Todo");
  await page.getByLabel(/Description of the app/).fill("A small todo app with a Node.js server and an in-memory API.");
  await expect(picker.locator("option")).toHaveText(["joxcoder-test — your endpoint", /^JoxCoder — /]);
  await expect(estimate).toContainText("up to 1 credit ");
  await picker.selectOption({ label: (await picker.locator("option").nth(1).textContent())! });
  await expect(estimate).toContainText(`up to ${platformEstimate} credits`);
  await picker.selectOption({ label: "joxcoder-test — your endpoint" });
  await expect(estimate).toContainText("up to 1 credit ");
  await page.screenshot({ path: testInfo.outputPath("model-picker.png"), fullPage: true });

  // A run on it is served by the endpoint and refunds everything it reserved.
  await page.getByRole("button", { name: "Create and generate" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+\?run=/);
  await expect(page.getByTestId("run-view").getByTestId("run-status")).toHaveText("completed", { timeout: 120_000 });
  await page.goto("/dashboard");
  await expect(page.getByTestId("credit-balance")).toHaveText("100");
  // The project remembers the pick: its chat asks for changes on the same model.
  await page.getByRole("link", { name: /Own Model Todo/ }).click();
  await expect(page.getByTestId("project-chat").getByLabel("Model", { exact: true })).toHaveValue(/^endpoint:[^:]+:joxcoder-test$/);
});
