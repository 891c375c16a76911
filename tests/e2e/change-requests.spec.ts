import { expect, test } from "@playwright/test";
import todoApp, { CHANGE, TODOS_JS } from "../fixtures/llm-server/scripts/todo-app";
import { signUp } from "./support/accounts";
import { useScript } from "./support/llm";

/**
 * A change request from the Run panel, against the real services: the todo app is generated, then
 * changed by the scripted editor (one edit of todos.js), checked with `npm test` in the sandbox,
 * reviewed file by file in Monaco's diff, and undone.
 */

// Room for the run view's heading, request, outcome and diff in one screenshot.
test.use({ viewport: { width: 1440, height: 960 } });

/** The line the editor's answer adds to todos.js (FIXER_REPLACE beyond FIXER_SEARCH). */
const ADDED_LINE = 'if (text.length > 200) throw new Error("A todo title is at most 200 characters.");';

test("ask for a change, review its diff, undo it", async ({ page }, testInfo) => {
  // A generation and a change, each with its checks in the sandbox.
  test.setTimeout(240_000);
  await useScript(todoApp);

  await signUp(page, "Ada");
  await page.getByLabel("Name").fill("Change Todo");
  await page.getByLabel(/Description of the app/).fill("A small todo app with a Node.js server and an in-memory API.");
  await page.getByRole("button", { name: "Create and generate" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+\?run=/);
  const projectId = new URL(page.url()).pathname.split("/").pop()!;

  const runView = page.getByTestId("run-view");
  await expect(runView.getByTestId("run-status")).toHaveText("completed", { timeout: 120_000 });
  await expect(runView.getByRole("heading", { name: "Generation", exact: true })).toBeVisible();
  await expect(runView.getByTestId("run-outcome")).toContainText("saved as version 1");

  // With files, a new run is a change by default; the whole pipeline is one click away.
  await runView.getByRole("button", { name: "New run" }).click();
  const kinds = page.getByRole("group", { name: "Kind of run" });
  await expect(kinds.getByRole("button", { name: "Change" })).toHaveAttribute("aria-pressed", "true");
  await kinds.getByRole("button", { name: "Rebuild" }).click();
  await expect(page.getByRole("button", { name: "Start generation" })).toBeVisible();
  await kinds.getByRole("button", { name: "Change" }).click();

  // An empty request is refused before anything is sent.
  const changeForm = page.getByRole("form", { name: "Change this project" });
  await changeForm.getByRole("button", { name: "Ask for change" }).click();
  await expect(changeForm.getByRole("alert")).toHaveText("Say what should change.");

  await changeForm.getByLabel("What should change?").fill(CHANGE.request);
  // Once typed, the request's estimate names the files the editor would read (nothing reserved yet).
  await expect(changeForm.getByTestId("change-estimate")).toContainText(/About \d+ credits? · reads \d+ files?: .*todos\.js/);
  await changeForm.getByRole("button", { name: "Ask for change" }).click();

  await expect(runView.getByRole("heading", { name: "Change", exact: true })).toBeVisible();
  await expect(runView).toHaveAttribute("data-run-kind", "change");
  await expect(runView.getByTestId("run-request")).toHaveText(CHANGE.request);
  await expect(runView.getByTestId("run-status")).toHaveText("completed", { timeout: 120_000 });
  await expect(runView.getByTestId("step-editor")).toBeVisible();
  const outcome = runView.getByTestId("run-outcome");
  await expect(outcome).toContainText("Done — saved as version 2");
  await expect(outcome).toContainText(/Spent \d+ credits?, refunded \d+/);

  // Only todos.js changed, and its diff shows the added line.
  const review = runView.getByTestId("change-review");
  await expect(review.getByRole("heading", { name: /Changed files \(1\) · v1 → v2/ })).toBeVisible();
  const changed = review.getByTestId("changed-file");
  await expect(changed).toHaveCount(1);
  await expect(changed.getByRole("heading", { name: "todos.js", exact: true })).toBeVisible();
  await expect(changed).toContainText("modified");
  const diff = changed.locator(".monaco-diff-editor");
  await expect(diff).toContainText("A todo title is at most 200 characters.", { timeout: 30_000 });
  const splitter = page.getByRole("separator", { name: "Resize run panel" });
  await splitter.focus();
  for (let i = 0; i < 8; i++) await splitter.press("ArrowLeft");
  await splitter.blur();
  await diff.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath("change-diff.png") });

  // The editor has the change too.
  await page.getByRole("tree", { name: "Files" }).getByRole("treeitem", { name: "todos.js", exact: true }).click();
  const editor = page.getByRole("region", { name: "Editor" }).locator(".monaco-editor").first();
  await expect(editor).toContainText("at most 200 characters", { timeout: 30_000 });

  // Undo restores version 1's files as version 3.
  await review.getByRole("button", { name: "Undo", exact: true }).click();
  await expect(review.getByTestId("change-undone")).toHaveText("Undone: version 3 has the files of version 1 again.");
  await expect(review.getByRole("button", { name: "Undo", exact: true })).toHaveCount(0);
  await expect(editor).toContainText("createTodoStore");
  await expect(editor).not.toContainText("at most 200 characters");

  const saved = await page.request.get(`/api/projects/${projectId}/files/content?path=todos.js`);
  expect(saved.ok()).toBe(true);
  const { file } = (await saved.json()) as { file: { content: string } };
  expect(file.content).toBe(TODOS_JS);
  expect(file.content).not.toContain(ADDED_LINE);
});
