import { randomBytes } from "node:crypto";
import { defineConfig, devices } from "@playwright/test";
import { E2E_DIST_DIR, EXTERNAL_SERVICES } from "./tests/e2e/support/env";

/**
 * End-to-end: a production build on a fixed port, on the embedded defaults
 * (SQLite in a fresh .data/e2e, local accounts, no payments) whatever the
 * developer's shell has set, driven by Debian's chromium (Playwright's own
 * browsers are not downloadable here). Beside it: the real sandbox-runner
 * and the scripted OpenAI-compatible server (tests/fixtures/llm-server,
 * "todo-app" script) standing in for JoxCoder.
 */

const PORT = 3100;
const BASE_URL = `http://localhost:${PORT}`;
const DATA_DIR = ".data/e2e";
const RUNNER_PORT = 4110;
/** The live preview's proxy (lib/preview/proxy-server), started with the app. */
const PREVIEW_PORT = 3101;
const RUNNER_URL = `http://127.0.0.1:${RUNNER_PORT}`;
const LLM_PORT = 4111;
const LLM_URL = `http://127.0.0.1:${LLM_PORT}/v1`;
// Workers load this file again: they inherit the main process's env, so the secret stays the same.
process.env.E2E_RUNNER_SECRET ??= randomBytes(32).toString("hex");
const RUNNER_SECRET = process.env.E2E_RUNNER_SECRET;
process.env.E2E_ENCRYPTION_KEY ??= randomBytes(32).toString("hex");
// The fake Vercel/Netlify/Railway APIs (tests/fixtures/deploy-servers); each accepts only its FAKE_*_TOKEN.
const DEPLOY_PORTS = { vercel: 4112, netlify: 4113, railway: 4114 };
const DEPLOY_API_URLS = {
  VERCEL_API_URL: `http://127.0.0.1:${DEPLOY_PORTS.vercel}`,
  NETLIFY_API_URL: `http://127.0.0.1:${DEPLOY_PORTS.netlify}`,
  RAILWAY_API_URL: `http://127.0.0.1:${DEPLOY_PORTS.railway}`,
};
// The Git smart-HTTP server (tests/fixtures/git-server/main.ts): accepts only E2E_GIT_TOKEN, and
// its bare repositories appear under E2E_GIT_ROOT (a symlink) for git.spec.ts to read with git.
const GIT_PORT = 4130;
const GIT_URL = (process.env.E2E_GIT_URL = `http://127.0.0.1:${GIT_PORT}`);
const GIT_ROOT = (process.env.E2E_GIT_ROOT = "/tmp/autocrea-e2e-git-repos");
process.env.E2E_GIT_TOKEN ??= `ghp_e2e${randomBytes(12).toString("hex")}`;

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
  webServer: [
    {
      command: `node --import tsx tests/fixtures/llm-server/main.ts --port ${LLM_PORT} --script todo-app --tokens-per-second 4000`,
      url: `${LLM_URL}/models`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: "node --import tsx src/main.ts",
      cwd: "sandbox-runner",
      url: `${RUNNER_URL}/v1/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        PORT: String(RUNNER_PORT),
        RUNNER_SECRET,
        RUNNER_STATE_DIR: "/tmp/autocrea-e2e-runner",
        // Warnings and errors only: the suite's output stays readable.
        LOG_LEVEL: "warn",
        // Shared with the integration tests' runners: packages fetched once serve later runs on this machine.
        RUNNER_GATEWAY_CACHE_DIR: "/tmp/autocrea-test-gateway-cache",
      },
      // Ends its sessions (and unmounts their workspace volumes) instead of being killed with them mounted.
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      command: `node --import tsx tests/fixtures/deploy-servers/main.ts --vercel ${DEPLOY_PORTS.vercel} --netlify ${DEPLOY_PORTS.netlify} --railway ${DEPLOY_PORTS.railway}`,
      port: DEPLOY_PORTS.railway,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: `node --import tsx tests/fixtures/git-server/main.ts --port ${GIT_PORT} --token ${process.env.E2E_GIT_TOKEN} --root ${GIT_ROOT}`,
      url: `${GIT_URL}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      // SIGTERM (not the default SIGKILL) so it removes its temp repositories.
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: `rm -rf ${DATA_DIR} && npx next build && npx next start -p ${PORT}`,
      url: `${BASE_URL}/api/health`,
      reuseExistingServer: false,
      // next build takes 2–3 minutes on a quiet 2-core machine, much longer on a loaded one.
      timeout: 600_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        ...Object.fromEntries(EXTERNAL_SERVICES.map((name) => [name, ""])),
        DATA_DIR,
        APP_URL: BASE_URL,
        NEXT_TELEMETRY_DISABLED: "1",
        NEXT_DIST_DIR: E2E_DIST_DIR,
        LOG_LEVEL: "warn",
        JOXCODER_API_URL: LLM_URL,
        // Users' own endpoints may point at the scripted LLM server (tests/e2e/models.spec.ts).
        AI_ENDPOINT_ALLOWED_PRIVATE: "127.0.0.1",
        RUNNER_URL,
        RUNNER_SECRET,
        AUTOCREA_ENCRYPTION_KEY: process.env.E2E_ENCRYPTION_KEY,
        ...DEPLOY_API_URLS,
        VERCEL_TOKEN: "",
        VERCEL_TEAM_ID: "",
        NETLIFY_AUTH_TOKEN: "",
        RAILWAY_TOKEN: "",
        GIT_ALLOWED_HOSTS: `github.com,gitlab.com,127.0.0.1:${GIT_PORT}`,
        PREVIEW_PORT: String(PREVIEW_PORT),
        PREVIEW_URL_TEMPLATE: `http://{id}.preview.localhost:${PREVIEW_PORT}`,
      },
    },
  ],
});
