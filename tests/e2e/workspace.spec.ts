import { readFileSync } from "node:fs";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { signUp } from "./support/accounts";
import { zipEntryNames } from "./support/zip-entries";

/**
 * The whole workspace against the real services: the scripted LLM server's
 * "todo-app" run (playwright.config.ts starts it), the real sandbox-runner,
 * and the production build of the app.
 */

const TODO_APP_FILES = [
  "Dockerfile",
  "README.md",
  "package.json",
  "public/app.js",
  "public/index.html",
  "public/styles.css",
  "server.js",
  "test/todos.test.js",
  "todos.js",
];

/** The text xterm renders (its DOM renderer draws rows as text; rows are joined without newlines). */
const terminalText = (page: Page) => page.locator(".xterm-rows");

async function runInTerminal(page: Page, command: string): Promise<void> {
  await page.getByTestId("terminal").click();
  await page.keyboard.type(`${command}\n`);
}

async function balanceOnDashboard(page: Page): Promise<number> {
  await page.goto("/dashboard");
  return Number(await page.getByTestId("credit-balance").textContent());
}

function tab(region: Locator, name: string): Locator {
  return region.getByRole("tab", { name, exact: true });
}

test("generate a project, edit it with versions, use the terminal and preview, download it", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  page.on("dialog", (dialog) => void dialog.accept());

  await signUp(page, "Grace");
  const balanceBefore = await balanceOnDashboard(page);
  expect(balanceBefore).toBe(100);

  // Start a run from the new-project form.
  await page.getByLabel("Name").fill("Tiny Todo");
  await page.getByLabel(/Description of the app/).fill("A small todo app with a Node.js server and an in-memory API.");
  await page.getByRole("button", { name: "Create and generate" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+\?run=/);
  const projectPath = new URL(page.url()).pathname;

  // Watch the steps finish.
  const runView = page.getByTestId("run-view");
  await expect(runView.getByTestId("run-status")).toHaveText("completed", { timeout: 90_000 });
  for (const role of ["architect", "backend", "frontend", "devops", "security", "tester"]) {
    await expect(runView.getByTestId(`step-${role}`)).toBeVisible();
  }
  const outcome = runView.getByTestId("run-outcome");
  await expect(outcome).toContainText("saved as version 1");
  const spent = Number(/Spent (\d+) credit/.exec((await outcome.textContent()) ?? "")?.[1]);
  expect(spent).toBeGreaterThan(0);
  await page.screenshot({ path: testInfo.outputPath("run-view.png") });

  const files = page.getByRole("tree", { name: "Files" });
  for (const path of ["todos.js", "server.js", "package.json"]) {
    await expect(files.getByRole("treeitem", { name: path, exact: true })).toBeVisible();
  }

  // The terminal: the generated files are in its working directory, and programs run.
  const bottom = page.getByRole("tablist", { name: "Terminal and preview" });
  await tab(bottom, "Terminal").click();
  await expect(page.getByTestId("terminal-status")).toHaveText("Connected", { timeout: 30_000 });
  await runInTerminal(page, "ls");
  await expect(terminalText(page)).toContainText("todos.js");
  await expect(terminalText(page)).toContainText("server.js");
  // Outputs are tagged so the echoed command line itself can never match.
  await runInTerminal(page, `node -e "console.log('answer=' + 6 * 7)"`);
  await expect(terminalText(page)).toContainText("answer=42");
  await runInTerminal(page, "npm test 2>&1 | grep -E '^# (pass|fail)'");
  await expect(terminalText(page)).toContainText(/# fail 0/);
  await page.screenshot({ path: testInfo.outputPath("terminal.png") });

  // Open a generated file in Monaco, edit it, save with Ctrl-S: version 2.
  await files.getByRole("treeitem", { name: "todos.js", exact: true }).click();
  const editor = page.locator(".monaco-editor").first();
  await expect(editor).toContainText("createTodoStore", { timeout: 30_000 });
  await editor.locator(".view-lines").click();
  // At the top, so the diff editor (which renders only what is in view) shows it.
  await page.keyboard.press("Control+Home");
  await page.keyboard.type("// edited in the e2e test\n");
  await expect(files.getByRole("treeitem", { name: "todos.js, unsaved changes" })).toBeVisible();
  await page.keyboard.press("Control+S");
  await expect(files.getByRole("treeitem", { name: "todos.js", exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("editor.png") });

  const left = page.getByRole("tablist", { name: "Project" });
  await tab(left, "Versions").click();
  const versions = page.getByTestId("version-list");
  await expect(versions.getByRole("button", { name: /^v2\b.*current/ })).toBeVisible();

  // The saved edit reached the terminal's copy of the project.
  await runInTerminal(page, `echo "edits=$(grep -c 'edited in the e2e test' todos.js)"`);
  await expect(terminalText(page)).toContainText("edits=1");

  // Diff version 1 against the current files, then restore it: version 3.
  await versions.getByRole("button", { name: /^v1\b/ }).click();
  const diff = page.getByTestId("version-diff");
  await expect(diff.getByRole("heading", { name: "v1 → current (v2)" })).toBeVisible();
  await expect(diff.getByRole("list", { name: "Changed files" })).toContainText("todos.js");
  await expect(diff.locator(".monaco-diff-editor")).toContainText("edited in the e2e test", { timeout: 30_000 });
  await page.screenshot({ path: testInfo.outputPath("diff.png") });
  await diff.getByRole("button", { name: "Restore v1" }).click();
  await expect(versions.getByRole("button", { name: /^v3\b.*current/ })).toBeVisible();
  await runInTerminal(page, `echo "edits=$(grep -c 'edited in the e2e test' todos.js)"`);
  await expect(terminalText(page)).toContainText("edits=0");

  // The running app: its server in the sandbox, seen through the preview proxy; the page's API calls work.
  await tab(bottom, "Preview").click();
  const previewMode = page.getByRole("tablist", { name: "Preview mode" });
  await expect(page.getByTestId("app-status")).toContainText("Not running");
  await expect(page.getByTestId("app-status")).toContainText("npm run start (node server.js)");
  await page.getByRole("button", { name: "Run app" }).click();
  await expect(page.getByTestId("app-status")).toContainText("Running", { timeout: 60_000 });
  const live = page.frameLocator('iframe[title="Live preview"]');
  await expect(live.getByRole("heading", { name: "Tiny Todo" })).toBeVisible();
  await live.getByPlaceholder("What needs doing?").fill("water the plants");
  await live.getByRole("button", { name: "Add" }).click();
  await expect(live.getByRole("listitem")).toContainText("water the plants");
  await page.screenshot({ path: testInfo.outputPath("live-preview.png") });
  await page.getByText("Server log").click();
  await expect(page.getByTestId("app-log")).toContainText("Listening on http://localhost:3000");

  // The static preview (public/index.html) in its sandboxed frame.
  await tab(previewMode, "Files").click();
  await expect(page.getByTestId("preview-status")).toHaveText("Static files from public/");
  const frame = page.frameLocator('iframe[title="Project preview"]');
  await expect(frame.getByRole("heading", { name: "Tiny Todo" })).toBeVisible();
  await expect(page.locator('iframe[title="Project preview"]')).toHaveAttribute("sandbox", "allow-scripts allow-forms");

  // Download the ZIP: every file of the project.
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download ZIP" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const entries = zipEntryNames(readFileSync(await download.path()));
  expect(entries.filter((name) => !name.startsWith("Tiny Todo/.git/")).sort()).toEqual(
    TODO_APP_FILES.map((path) => `Tiny Todo/${path}`),
  );
  expect(entries).toContain("Tiny Todo/.git/HEAD");
  expect(entries).toContain("Tiny Todo/.git/index");

  // The Git tab lists the versions as commits.
  await tab(page.getByRole("tablist", { name: "Assistant" }), "Git").click();
  const commits = page.getByTestId("git-panel").getByRole("list", { name: "Commits" }).getByRole("listitem");
  await expect(commits.first()).toContainText(/[0-9a-f]{7}/);

  // The run settled exactly what it reported spending.
  expect(await balanceOnDashboard(page)).toBe(balanceBefore - spent);
  await page.goto(projectPath);
  await expect(page.getByTestId("workspace-balance")).toHaveText(String(balanceBefore - spent));
});

test("a project with a build script builds in the sandbox and previews its output", async ({ page }) => {
  await signUp(page, "Linus");
  await page.getByLabel("Name").fill("Built Site");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+$/);
  const projectId = new URL(page.url()).pathname.split("/").pop()!;

  const buildScript = [
    'const fs = require("fs");',
    'fs.mkdirSync("dist", { recursive: true });',
    'fs.writeFileSync("dist/index.html", "<h1>" + fs.readFileSync("title.txt", "utf8").trim() + "</h1>");',
    'console.log("wrote dist/index.html");',
  ].join("\n");
  const saved = await page.request.put(`/api/projects/${projectId}/files`, {
    headers: { origin: new URL(page.url()).origin },
    data: {
      files: [
        { path: "package.json", content: JSON.stringify({ name: "built-site", scripts: { build: "node build.js" } }) },
        { path: "build.js", content: buildScript },
        { path: "title.txt", content: "Hello from dist" },
      ],
      message: "a site with a build step",
    },
  });
  expect(saved.ok()).toBe(true);
  await page.reload();

  const bottom = page.getByRole("tablist", { name: "Terminal and preview" });
  await tab(bottom, "Preview").click();
  await expect(page.getByTestId("preview-reason")).toContainText("Build preview");
  await page.getByRole("button", { name: "Build preview" }).click();
  await expect(page.getByText("Build succeeded")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("preview-status")).toHaveText("Build output from dist/");
  await expect(page.frameLocator('iframe[title="Project preview"]').getByRole("heading", { name: "Hello from dist" })).toBeVisible();
});
