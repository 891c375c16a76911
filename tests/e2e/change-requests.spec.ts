import { expect, test } from "@playwright/test";
import { TODO_APP_FILES } from "../fixtures/llm-server/scripts/todo-app";
import todoChanges, { BREAKING, DUE_DATE, DUE_LABEL } from "../fixtures/llm-server/scripts/todo-changes";
import todoApp from "../fixtures/llm-server/scripts/todo-app";
import { signUp } from "./support/accounts";
import { useScript } from "./support/llm";

/**
 * Changes asked for in the project's chat, against the real services: the todo app is generated and
 * running in the preview; "add a due date to each todo" is edited by the scripted editor in the five
 * files it concerns, checked with `npm test` in the sandbox, reviewed file by file in Monaco's diff,
 * seen in the running app, and undone. A second change breaks a test: it goes through the fixer and
 * ends with issues and the failing output in the chat.
 */

// Room for the chat's diff and the preview in one screenshot.
test.use({ viewport: { width: 1440, height: 960 } });

test.afterAll(async () => {
  await useScript(todoApp);
});

test("ask for a change in the chat, see it in the diff and the running app, undo it; a change that breaks a test says so", async ({ page }, testInfo) => {
  // A generation and two changes, each with its checks in the sandbox, and the app restarted twice.
  test.setTimeout(300_000);
  await useScript(todoChanges);

  await signUp(page, "Ada");
  await page.getByLabel("Name").fill("Change Todo");
  await page.getByLabel(/Description of the app/).fill("A small todo app with a Node.js server and an in-memory API.");
  await page.getByRole("button", { name: "Create and generate" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+\?run=/);
  const projectId = new URL(page.url()).pathname.split("/").pop()!;
  const runView = page.getByTestId("run-view");
  await expect(runView.getByTestId("run-status")).toHaveText("completed", { timeout: 120_000 });

  // The app runs in the preview, without a due date.
  await page.getByRole("tablist", { name: "Terminal and preview" }).getByRole("tab", { name: "Preview", exact: true }).click();
  await page.getByRole("button", { name: "Run app" }).click();
  await expect(page.getByTestId("app-status")).toContainText("Running", { timeout: 60_000 });
  const live = page.frameLocator('iframe[title="Live preview"]');
  await expect(live.getByRole("heading", { name: "Tiny Todo" })).toBeVisible();
  await expect(live.getByLabel(DUE_LABEL)).toHaveCount(0);

  // After a generation, the Run panel points to the chat for changes.
  await runView.getByRole("button", { name: "New run" }).click();
  await expect(page.getByTestId("rebuild-note")).toContainText("ask in the chat");
  await page.getByTestId("rebuild-note").getByRole("button", { name: "Open the chat" }).click();
  const chat = page.getByTestId("project-chat");
  await expect(chat.getByRole("group", { name: "What the message does" }).getByRole("button", { name: "Change" })).toHaveAttribute(
    "aria-pressed",
    "true",
  );

  // The request's estimate names the files the editor would read; nothing is reserved yet.
  const message = chat.getByLabel("What should change?");
  await message.fill(DUE_DATE.request);
  await expect(chat.getByTestId("change-estimate")).toContainText(/About \d+ credits?, at most \d+ with fixes · reads \d+ files?: /);
  await chat.getByRole("button", { name: "Ask for change" }).click();
  await expect(message).toHaveValue("");

  const first = chat.getByTestId("chat-change").first();
  await expect(first).toContainText(DUE_DATE.request);
  const result = first.getByTestId("chat-change-result");
  await expect(result).toContainText(/Changed, and the checks passed · \d+ credits? · version 2/, { timeout: 120_000 });

  // Only the five files the change is about, each with its diff.
  const review = first.getByTestId("change-review");
  await expect(review.getByRole("heading", { name: /Changed files \(5\) · v1 → v2/ })).toBeVisible();
  const changed = review.getByTestId("changed-file");
  await expect(changed).toHaveCount(DUE_DATE.paths.length);
  for (const path of DUE_DATE.paths) await expect(changed.getByRole("heading", { name: path, exact: true })).toBeVisible();
  for (const path of Object.keys(TODO_APP_FILES).filter((p) => !DUE_DATE.paths.includes(p))) {
    await expect(changed.getByRole("heading", { name: path, exact: true })).toHaveCount(0);
  }
  await expect(changed.first().locator(".monaco-diff-editor")).toContainText("due", { timeout: 30_000 });

  // The running app restarted with the change: the new field works.
  await expect(live.getByLabel(DUE_LABEL)).toBeVisible({ timeout: 60_000 });
  await live.getByPlaceholder("What needs doing?").fill("pay rent");
  await live.getByLabel(DUE_LABEL).fill("2026-12-31");
  await live.getByRole("button", { name: "Add" }).click();
  await expect(live.getByRole("listitem")).toContainText("pay rent (due 2026-12-31)");
  await page.screenshot({ path: testInfo.outputPath("chat-change.png") });

  // Undo restores version 1's files as version 3; the app follows.
  await review.getByRole("button", { name: "Undo", exact: true }).click();
  await expect(review.getByTestId("change-undone")).toHaveText("Undone: version 3 has the files of version 1 again.");
  await expect(live.getByRole("heading", { name: "Tiny Todo" })).toBeVisible({ timeout: 60_000 });
  await expect(live.getByLabel(DUE_LABEL)).toHaveCount(0, { timeout: 60_000 });
  const saved = await page.request.get(`/api/projects/${projectId}/files/content?path=todos.js`);
  expect(((await saved.json()) as { file: { content: string } }).file.content).toBe(TODO_APP_FILES["todos.js"]);

  // A change that breaks a test: the fixer cannot mend it, and the chat shows the failure with its output.
  await message.fill(BREAKING.request);
  await chat.getByRole("button", { name: "Ask for change" }).click();
  const second = chat.getByTestId("chat-change").nth(1);
  await expect(second).toContainText(BREAKING.request);
  const broken = second.getByTestId("chat-change-result");
  await expect(broken).toContainText(/Changed, with issues · \d+ credits? · version 4/, { timeout: 120_000 });
  await expect(broken.getByTestId("run-issue")).toContainText(/"npm test" still fails after 2 fixer passes/);
  await broken.getByText("Output").click();
  await expect(broken.locator("pre")).toContainText("BUY MILK");
  // The first change's diff is folded now that a newer one is shown.
  await expect(first.getByRole("button", { name: /Show what changed \(5 files\)/ })).toBeVisible();

  // The conversation is the server's: a reload shows both changes.
  await page.reload();
  await page.getByRole("tablist", { name: "Assistant" }).getByRole("tab", { name: "Chat", exact: true }).click();
  await expect(page.getByTestId("chat-change")).toHaveCount(2);
  await expect(page.getByTestId("chat-change").nth(1)).toHaveAttribute("data-status", "completed_with_issues");
});
