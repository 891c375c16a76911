/**
 * First-load JS budget (not a test): node --import tsx tests/bench/js-budget.ts [--port 3201] [--budget 300]
 *
 * Run after `next build` (under `flock /tmp/e2e.lock`, like the e2e suite).
 * Starts `next start` on a temp data dir, registers a user, creates a
 * project with a few files, then loads the dashboard and the workspace in
 * Chromium and adds up the JavaScript each page downloads before any file is
 * opened — so before Monaco, which loads lazily from /monaco/vs. Prints raw
 * and gzip KB per page against the budget (gzip is what the budget means;
 * compared the same way whatever the server's own compression does).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { chromium, type Page } from "@playwright/test";

const { values } = parseArgs({
  options: { port: { type: "string", default: "3201" }, budget: { type: "string", default: "300" } },
});
const PORT = Number(values.port);
const BUDGET_KB = Number(values.budget);
const BASE = `http://127.0.0.1:${PORT}`;

async function waitForHealth(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${BASE}/api/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("next start did not become healthy; did you run `next build` first?");
}

interface PageJs {
  scripts: number;
  rawBytes: number;
  gzipBytes: number;
  monacoBytes: number;
}

/** Loads `url` and totals every script response (by body), Monaco's files counted apart. */
async function measure(page: Page, url: string, ready: () => Promise<unknown>): Promise<PageJs> {
  const bodies: Array<Promise<{ url: string; body: Buffer }>> = [];
  const onResponse = (response: import("@playwright/test").Response) => {
    if (response.request().resourceType() !== "script") return;
    bodies.push(
      response.body().then(
        (body) => ({ url: response.url(), body }),
        () => ({ url: response.url(), body: Buffer.alloc(0) }),
      ),
    );
  };
  page.on("response", onResponse);
  await page.goto(url, { waitUntil: "networkidle" });
  await ready();
  await page.waitForLoadState("networkidle");
  page.off("response", onResponse);
  const result: PageJs = { scripts: 0, rawBytes: 0, gzipBytes: 0, monacoBytes: 0 };
  for (const { url: scriptUrl, body } of await Promise.all(bodies)) {
    if (new URL(scriptUrl).pathname.startsWith("/monaco/")) {
      result.monacoBytes += body.length;
      continue;
    }
    result.scripts += 1;
    result.rawBytes += body.length;
    result.gzipBytes += gzipSync(body).length;
  }
  return result;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "autocrea-js-budget-"));
  const server = spawn("npx", ["next", "start", "-p", String(PORT)], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      APP_URL: BASE,
      NEXT_TELEMETRY_DISABLED: "1",
      CONVEX_URL: "",
      CLERK_SECRET_KEY: "",
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "",
    },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    await waitForHealth(Date.now() + 60_000);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const headers = { origin: BASE };
    const register = await page.request.post(`${BASE}/api/auth/register`, {
      headers,
      data: { name: "Budget", email: `budget-${Date.now()}@example.com`, password: "correct horse battery" },
    });
    if (!register.ok()) throw new Error(`register failed: ${register.status()}`);
    const created = await page.request.post(`${BASE}/api/projects`, { headers, data: { name: "Budget app" } });
    const { project } = (await created.json()) as { project: { id: string } };
    await page.request.put(`${BASE}/api/projects/${project.id}/files`, {
      headers,
      data: {
        files: [
          { path: "src/index.ts", content: "export const answer = 42;\n" },
          { path: "README.md", content: "# Budget\n" },
        ],
      },
    });

    // Fresh context per page: nothing cached from the other one.
    const dashboardPage = await (await browser.newContext({ storageState: await context.storageState() })).newPage();
    const dashboard = await measure(dashboardPage, `${BASE}/dashboard`, () =>
      dashboardPage.getByText("Budget app").first().waitFor(),
    );
    const workspacePage = await (await browser.newContext({ storageState: await context.storageState() })).newPage();
    const workspace = await measure(workspacePage, `${BASE}/projects/${project.id}`, () =>
      workspacePage.getByRole("treeitem", { name: "README.md" }).waitFor(),
    );

    const kb = (bytes: number) => (bytes / 1024).toFixed(1).padStart(7);
    console.log(`First-load JavaScript (budget ${BUDGET_KB} KB gzip, Monaco excluded: it loads on first file open)`);
    console.log("page        scripts   raw KB  gzip KB  within budget");
    let over = false;
    for (const [name, m] of [
      ["dashboard", dashboard],
      ["workspace", workspace],
    ] as const) {
      const within = m.gzipBytes / 1024 <= BUDGET_KB;
      over ||= !within;
      console.log(
        `${name.padEnd(10)} ${String(m.scripts).padStart(8)} ${kb(m.rawBytes)}  ${kb(m.gzipBytes)}  ${within ? "yes" : "NO"}`,
      );
      if (m.monacoBytes > 0)
        console.log(`  (note: ${kb(m.monacoBytes).trim()} KB of Monaco loaded before any file was opened)`);
    }
    process.exitCode = over ? 1 : 0;
  } finally {
    await browser.close();
    if (server.pid) process.kill(-server.pid, "SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
