import { defineConfig, devices } from "@playwright/test";

/**
 * End-to-end: a production build on a fixed port, on the embedded defaults
 * (SQLite in a fresh .data/e2e, local accounts, no payments) whatever the
 * developer's shell has set, driven by Debian's chromium (Playwright's own
 * browsers are not downloadable here).
 */

const PORT = 3100;
const BASE_URL = `http://localhost:${PORT}`;
const DATA_DIR = ".data/e2e";

// Empty means unset (lib/env treats "" as absent): forces the embedded modes.
const EXTERNAL_SERVICES = [
  "CONVEX_URL",
  "AUTOCREA_SERVER_SECRET",
  "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
  "CLERK_SECRET_KEY",
  "CLERK_JWT_KEY",
  "CLERK_WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
];

export default defineConfig({
  testDir: "tests/e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: "list",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
          ],
        },
      },
    },
  ],
  webServer: {
    command: `rm -rf ${DATA_DIR} && npx next build && npx next start -p ${PORT}`,
    url: `${BASE_URL}/api/health`,
    reuseExistingServer: false,
    timeout: 300_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      ...Object.fromEntries(EXTERNAL_SERVICES.map((name) => [name, ""])),
      DATA_DIR,
      APP_URL: BASE_URL,
      NEXT_TELEMETRY_DISABLED: "1",
    },
  },
});
