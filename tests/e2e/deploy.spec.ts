import { expect, test } from "@playwright/test";
import { FAKE_VERCEL_TOKEN } from "../fixtures/deploy-servers/vercel";
import { signUp } from "./support/accounts";

/**
 * Deploying from the workspace with the user's own Vercel token, against
 * the fake Vercel API that playwright.config.ts starts (VERCEL_API_URL).
 */

test("save a Vercel token, deploy from the workspace, watch it build and go live", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signUp(page, "Dora");

  // Save the token in Settings → Deploy and Git tokens.
  await page.goto("/settings");
  const tokens = page.getByRole("region", { name: "Deploy and Git tokens" });
  await tokens.getByLabel("Provider").selectOption("vercel");
  await tokens.getByLabel("API key").fill(FAKE_VERCEL_TOKEN);
  await tokens.getByRole("button", { name: "Add key" }).click();
  await expect(tokens.getByLabel("ending in 6789")).toBeVisible();

  // A project with two files.
  await page.goto("/dashboard");
  await page.getByLabel("Name").fill("Deploy Me");
  await page.getByLabel(/Description of the app/).fill("A one-page site to deploy.");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+$/);
  const projectId = new URL(page.url()).pathname.split("/").pop()!;
  const saved = await page.request.put(`/api/projects/${projectId}/files`, {
    data: {
      files: [
        { path: "index.html", content: "<!doctype html><h1>Deployed</h1>" },
        { path: "package.json", content: '{"name":"deploy-me","private":true}' },
      ],
    },
  });
  expect(saved.ok()).toBe(true);
  await page.reload();

  // Deploy from the Assistant panel's Deploy tab.
  const assistant = page.getByRole("complementary", { name: "Chat, runs and AI" });
  await assistant.getByRole("tab", { name: "Deploy", exact: true }).click();
  const panel = page.getByTestId("deploy-panel");
  await expect(panel.getByRole("radio", { name: /Vercel/ })).toBeChecked();
  await expect(panel.getByText("your token")).toBeVisible();
  await panel.getByRole("button", { name: "Deploy to Vercel" }).click();

  const current = panel.getByTestId("current-deployment");
  await expect(current.getByTestId("deployment-status")).toHaveText(/pending|building/);
  await expect(current.getByTestId("deployment-status")).toHaveText("success", { timeout: 30_000 });
  await expect(current.getByTestId("deployment-url")).toHaveAttribute("href", /^https:\/\/.+\.vercel\.app/);
  await expect(panel.getByTestId("deployment-history").getByRole("listitem")).toHaveCount(1);
  // The token never reaches the page.
  expect(await page.content()).not.toContain(FAKE_VERCEL_TOKEN);
  await page.screenshot({ path: testInfo.outputPath("deploy-panel.png") });

  // The dashboard counts it.
  await page.goto("/dashboard");
  const stats = page.getByTestId("deployment-stats");
  await expect(stats).toContainText("1 total");
  await expect(stats).toContainText("100% success rate");
});
