import { expect, test, type Page } from "@playwright/test";
import expressApi, { APP_TITLE as EXPRESS_TITLE, EDIT as EXPRESS_EDIT } from "../fixtures/llm-server/scripts/express-api";
import todoApp from "../fixtures/llm-server/scripts/todo-app";
import viteReact, { APP_TITLE as VITE_TITLE, EDIT as VITE_EDIT } from "../fixtures/llm-server/scripts/vite-react";
import { signUp } from "./support/accounts";
import { useScript } from "./support/llm";

/**
 * Real apps end to end: the scripted model writes a React + Vite + TypeScript app and an Express API
 * on SQLite (sql.js); the tester installs their real packages through the runner's package gateway
 * and their tests pass; the preview runs the app's server in the sandbox and the page works in the
 * live frame; an edit saved in Monaco shows up there without a manual rebuild (Vite's hot reload
 * through the preview proxy's WebSocket, or a restart of a server that does not watch its files).
 */

// The other specs expect the todo app.
test.afterAll(async () => {
  await useScript(todoApp);
});

async function generate(page: Page, name: string, description: string): Promise<void> {
  await signUp(page, name);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/Description of the app/).fill(description);
  await page.getByRole("button", { name: "Create and generate" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+\?run=/);
  const runView = page.getByTestId("run-view");
  // The tester installs real packages through the gateway: minutes on a cold cache.
  await expect(runView.getByTestId("run-status")).toHaveText("completed", { timeout: 360_000 });
  await expect(runView).toContainText("$ npm install → ok");
  await expect(runView).toContainText("$ npm test → ok");
  await expect(runView).toContainText(/Every check passed \(\d+ tests? ran\)\./);
}

async function runApp(page: Page): Promise<ReturnType<Page["frameLocator"]>> {
  await page.getByRole("tablist", { name: "Terminal and preview" }).getByRole("tab", { name: "Preview", exact: true }).click();
  await page.getByRole("button", { name: "Run app" }).click();
  await expect(page.getByTestId("app-status")).toContainText("Running", { timeout: 180_000 });
  return page.frameLocator('iframe[title="Live preview"]');
}

/** Replaces `search` by `replace` in the open file with Monaco's own find and replace, then saves. */
async function editInMonaco(page: Page, path: string, search: string, replace: string): Promise<void> {
  // The tree shows a file by its name under its (expanded) folder.
  const name = path.split("/").pop()!;
  const files = page.getByRole("tree", { name: "Files" });
  await files.getByRole("treeitem", { name, exact: true }).click();
  const editor = page.locator(".monaco-editor").first();
  // Monaco renders only the lines in view: wait for the file itself, then let find and replace go to the text.
  await expect(editor).toHaveAttribute("data-uri", `file:///${path}`, { timeout: 30_000 });
  await editor.locator(".view-lines").click();
  await page.keyboard.press("Control+H");
  const find = editor.getByRole("textbox", { name: "Find" });
  await find.fill(search);
  await editor.getByRole("textbox", { name: "Replace" }).fill(replace);
  await page.keyboard.press("Control+Alt+Enter");
  await page.keyboard.press("Escape");
  await editor.locator(".view-lines").click();
  await expect(files.getByRole("treeitem", { name: `${name}, unsaved changes` })).toBeVisible();
  await page.keyboard.press("Control+S");
  await expect(files.getByRole("treeitem", { name, exact: true })).toBeVisible();
}

test("a React + Vite + TypeScript app: real packages, tests pass, live preview with hot reload", async ({ page }, testInfo) => {
  test.setTimeout(720_000);
  await useScript(viteReact);
  await generate(page, "Habits", "A habit tracker in React with Vite and TypeScript, tested with Vitest.");

  const live = await runApp(page);
  await expect(live.getByRole("heading", { name: VITE_TITLE })).toBeVisible({ timeout: 30_000 });
  await live.getByPlaceholder("New habit").fill("Read 20 pages");
  await live.getByRole("button", { name: "Add" }).click();
  await expect(live.getByRole("listitem").filter({ hasText: "Read 20 pages" })).toBeVisible();
  await expect(live.getByText("1 habit", { exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("vite-live.png") });

  await editInMonaco(page, VITE_EDIT.path, VITE_EDIT.search, VITE_EDIT.replace);
  // Vite's hot reload reaches the frame: the new text, and the page's state is still there.
  await expect(live.getByText(VITE_EDIT.replace)).toBeVisible({ timeout: 60_000 });
  await page.screenshot({ path: testInfo.outputPath("vite-hot-reload.png") });
});

test("an Express API on SQLite: real packages, HTTP tests pass, the page's API calls work in the live preview", async ({ page }, testInfo) => {
  test.setTimeout(720_000);
  await useScript(expressApi);
  await generate(page, "Bookmarks", "A bookmarks app: an Express API on SQLite with a small page.");

  const live = await runApp(page);
  await expect(live.getByRole("heading", { name: EXPRESS_TITLE })).toBeVisible({ timeout: 30_000 });
  await live.getByPlaceholder("Title").fill("AUTOCREA docs");
  await live.getByPlaceholder("https://…").fill("https://example.com/docs");
  await live.getByRole("button", { name: "Save" }).click();
  await expect(live.getByRole("listitem").filter({ hasText: "AUTOCREA docs" })).toBeVisible();
  await expect(live.getByText("1 bookmark", { exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("express-live.png") });

  await editInMonaco(page, EXPRESS_EDIT.path, EXPRESS_EDIT.search, EXPRESS_EDIT.replace);
  // The server does not watch its files: it is restarted, and the frame loads the page again.
  await expect(live.getByText(EXPRESS_EDIT.replace)).toBeVisible({ timeout: 90_000 });
});
