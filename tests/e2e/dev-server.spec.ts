import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { PASSWORD, uniqueEmail } from "./support/accounts";
import { EXTERNAL_SERVICES } from "./support/env";

/**
 * `next dev` stays still: the rest of the suite runs a production build (in .next-e2e), so this spec
 * starts the development server itself, in a folder of its own, signs up and watches the dashboard.
 * A page that reloads itself (Next's HMR socket answering "HMR hash mismatch" on every connect) loses
 * every click; over 10 s the page must have loaded exactly once, when it was opened.
 */

const PORT = 3102;
const BASE = `http://localhost:${PORT}`;
const DIST_DIR = ".next-e2e-dev";
const DATA_DIR = ".data/e2e-dev";

let server: ChildProcess | null = null;

test.beforeAll(async () => {
  rmSync(DATA_DIR, { recursive: true, force: true });
  server = spawn("npx", ["next", "dev", "-p", String(PORT)], {
    detached: true,
    stdio: "ignore",
    env: {
      ...process.env,
      ...Object.fromEntries(EXTERNAL_SERVICES.map((name) => [name, ""])),
      NEXT_DIST_DIR: DIST_DIR,
      DATA_DIR,
      APP_URL: BASE,
      NEXT_TELEMETRY_DISABLED: "1",
      PREVIEW_PORT: String(PORT + 100),
    },
  });
  // The first request compiles the route: slow on a loaded 2-core machine.
  await expect
    .poll(
      async () => {
        try {
          return (await fetch(`${BASE}/api/health`)).status;
        } catch {
          return 0;
        }
      },
      { timeout: 240_000, intervals: [1_000] },
    )
    .toBe(200);
});

test.afterAll(() => {
  if (server?.pid) {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
});

test("the signed-in dashboard under next dev does not reload itself", async ({ page }) => {
  test.setTimeout(420_000);
  // Pages and routes compile on first visit: give sign-up and the dashboard their time once.
  const compiling = { timeout: 240_000 };
  page.setDefaultNavigationTimeout(compiling.timeout);
  page.setDefaultTimeout(compiling.timeout);
  await page.goto(`${BASE}/sign-up`);
  await page.getByLabel("Name").fill("Dev");
  await page.getByLabel("Email").fill(uniqueEmail("dev"));
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard$/, compiling);
  await expect(page.getByRole("heading", { name: "New project" })).toBeVisible(compiling);
  // Once compiled, the dashboard is opened afresh and watched. Document loads are counted: a reload
  // is one; the router's own history.replaceState on start is not (Playwright's framenavigated sees both).
  let loads = 0;
  page.on("load", () => loads++);
  await page.goto(`${BASE}/dashboard`);
  await expect(page.getByRole("heading", { name: "New project" })).toBeVisible();
  await page.waitForTimeout(10_000);
  expect(loads).toBe(1);
  // The page still answers: a field typed in keeps its text.
  await page.getByLabel("Name").fill("still here");
  await expect(page.getByLabel("Name")).toHaveValue("still here");
});
