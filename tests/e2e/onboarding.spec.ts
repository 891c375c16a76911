import { expect, test, type Page } from "@playwright/test";
import { signUp, uniqueEmail } from "./support/accounts";

/** Inline form errors (Next's route announcer is also role=alert, outside <main>). */
const formAlert = (page: Page) => page.getByRole("main").getByRole("alert");

test("a new user signs up, gets 100 credits, creates a project, and nobody else can open it", async ({
  page,
  browser,
}, testInfo) => {
  const email = uniqueEmail("ada");
  await signUp(page, "Ada", email);

  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
  await expect(page.getByTestId("credit-balance")).toHaveText("100");
  await expect(page.getByText("100 credits")).toBeVisible();
  await expect(page.getByTestId("user-email")).toHaveText(email);
  await expect(page.getByText("No projects yet")).toBeVisible();

  await page.goto("/");
  await page.getByRole("main").getByRole("link", { name: "Open dashboard" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  // An invalid name is reported next to the field, and nothing is created.
  await page.getByLabel("Name").fill("bad/name");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(formAlert(page)).toContainText("letters, digits");
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.getByLabel("Name").fill("Recipe Box");
  await page.getByLabel(/Description/).fill("Save recipes and plan the week's meals.");
  await page.getByRole("button", { name: "Create project" }).click();

  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+$/);
  await expect(page.getByRole("heading", { name: "Recipe Box", level: 1 })).toBeVisible();
  await expect(page.getByText("Save recipes and plan the week's meals.")).toBeVisible();
  await expect(page.getByTestId("files-empty")).toContainText("No files yet");
  const projectUrl = page.url();

  // Back on the dashboard the project is listed, and the same name is refused inline.
  await page.goto("/dashboard");
  await expect(page.getByRole("link", { name: /Recipe Box/ })).toBeVisible();
  // For the README: AUTOCREA_SCREENSHOT=public/screenshot-dashboard.png npx playwright test
  await page.screenshot({
    path: process.env.AUTOCREA_SCREENSHOT ?? testInfo.outputPath("dashboard.png"),
    fullPage: true,
  });
  await page.getByLabel("Name").fill("Recipe Box");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(formAlert(page)).toContainText('already have a project named "Recipe Box"');


  const otherContext = await browser.newContext();
  try {
    const other = await otherContext.newPage();
    await signUp(other, "Bob", uniqueEmail("bob"));
    const response = await other.goto(projectUrl);
    expect(response?.status()).toBe(404);
    await expect(other.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(other.getByText("Recipe Box")).toHaveCount(0);
  } finally {
    await otherContext.close();
  }
});

test("an unknown or malformed project id is a 404 for a signed-in user", async ({ page }) => {
  await signUp(page, "Cy", uniqueEmail("cy"));
  for (const id of ["00000000-0000-4000-8000-000000000000", "not%20an%20id"]) {
    const response = await page.goto(`/projects/${id}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }
});
