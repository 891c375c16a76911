import { expect, test } from "@playwright/test";

test("the landing page explains AUTOCREA and links to sign-up and sign-in", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);

  await expect(page.getByRole("heading", { level: 1 })).toContainText("Describe an app");
  await expect(page.getByText("100 free credits when you sign up. No card needed.")).toBeVisible();
  await expect(page.getByRole("main").getByText(/hard spend caps/)).toBeVisible();
  for (const role of ["Architect", "Backend", "Frontend", "DevOps", "Security", "Tester"]) {
    await expect(page.getByRole("heading", { name: role, exact: true })).toBeVisible();
  }

  const main = page.getByRole("main");
  await expect(main.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/sign-in");
  await main.getByRole("link", { name: "Get started" }).click();
  await expect(page).toHaveURL(/\/sign-up$/);
  await expect(page.getByLabel("Email")).toBeVisible();
});

test("the health endpoint reports the embedded modes", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({
    status: "ok",
    modes: { store: "sqlite", auth: "local", payments: "disabled", llm: expect.any(String), runner: expect.any(String) },
    store: { ok: true },
  });
});

test("an unknown page is a real 404", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("the dashboard sends signed-out visitors to sign-in", async ({ page }) => {
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/sign-in$/);
});
