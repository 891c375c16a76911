import { expect, test, type Page } from "@playwright/test";
import todoApp, { TRANSCRIPTS } from "../fixtures/llm-server/scripts/todo-app";
import { signUp } from "./support/accounts";
import { useScript } from "./support/llm";

/**
 * A run says what happened: checks that still fail after the fixer's passes, or a test runner that
 * ran no test, end the run "completed with issues" — not "completed" — and the run view names the
 * failing check with its output. The todo app's files, with a tester whose checks go wrong and a
 * fixer that cannot help.
 */

test.afterAll(async () => {
  await useScript(todoApp);
});

// A whole run with the tester's commands and two fixer passes in the sandbox.
test.describe.configure({ timeout: 240_000 });

const HELPLESS_FIXER = "I looked at the output but could not find what to change.";

async function generate(page: Page, name: string): Promise<ReturnType<Page["getByTestId"]>> {
  await signUp(page, name.replace(/\s+/g, ""));
  await page.getByLabel("Name").fill(name);
  await page.getByLabel(/Description of the app/).fill("A small todo app with a Node.js server and an in-memory API.");
  await page.getByRole("button", { name: "Create and generate" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+\?run=/);
  const runView = page.getByTestId("run-view");
  await expect(runView.getByTestId("run-status")).toHaveText("completed with issues", { timeout: 120_000 });
  return runView;
}

test("tests that still fail after the fixer's passes end the run with issues, and the run view shows the failing output", async ({ page }, testInfo) => {
  await useScript({
    roles: {
      ...TRANSCRIPTS,
      tester: [
        "Adding a test of the sum the page shows.",
        '<file path="test/sum.test.js">const test = require("node:test");\nconst assert = require("node:assert");\ntest("adds", () => assert.equal(1 + 1, 3));\n</file>',
        "<command>npm test</command>",
      ].join("\n"),
      fixer: HELPLESS_FIXER,
    },
  });
  const runView = await generate(page, "Broken tests");

  const outcome = runView.getByTestId("run-outcome");
  await expect(outcome).toContainText("Finished with issues — saved as version 1");
  await expect(outcome.getByTestId("run-issue")).toHaveText(/"npm test" still fails after 2 fixer passes \(exit 1, RE\)\./);
  await outcome.getByText("Output").click();
  await expect(outcome.locator("pre")).toContainText("AssertionError");
  await expect(runView).not.toContainText("Every check passed");
  await page.screenshot({ path: testInfo.outputPath("failing-tests.png"), fullPage: true });

  // One click turns the failure into a change request to review before it starts.
  await outcome.getByRole("button", { name: "Ask for a fix" }).click();
  const request = page.getByLabel("What should change?");
  await expect(request).toHaveValue(/^Fix this: "npm test" still fails after 2 fixer passes/);
  await expect(request).toHaveValue(/AssertionError/);
  await expect(page.getByRole("button", { name: "Ask for change" })).toBeEnabled();

  // The dashboard says so too.
  await page.goto("/dashboard");
  await expect(page.getByRole("list", { name: "Your projects" }).getByRole("listitem").filter({ hasText: "Broken tests" })).toContainText(
    "completed with issues",
  );
});

test("a test runner that ran no test ends the run with issues", async ({ page }, testInfo) => {
  await useScript({
    roles: {
      ...TRANSCRIPTS,
      // node --test in a folder without test files exits 0 having run nothing.
      tester: "Running the tests.\n<command>mkdir -p empty && cd empty && node --test</command>",
      fixer: HELPLESS_FIXER,
    },
  });
  const runView = await generate(page, "No tests");

  await expect(runView.getByTestId("run-issue")).toHaveText(/still runs no test after 2 fixer passes/);
  await expect(runView).toContainText("ran 0 tests");
  await page.screenshot({ path: testInfo.outputPath("no-tests.png"), fullPage: true });
});
