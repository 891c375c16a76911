import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { signUp } from "./support/accounts";

/**
 * Pushing a project's history from the workspace's Git tab with the user's
 * own GitHub token, to the real Git smart-HTTP server that playwright.config.ts
 * starts (tests/fixtures/git-server/main.ts: Basic auth with E2E_GIT_TOKEN,
 * then `git http-backend`). What arrives is read back with the real git.
 */

const GIT_URL = process.env.E2E_GIT_URL!;
const GIT_ROOT = process.env.E2E_GIT_ROOT!;
const GIT_TOKEN = process.env.E2E_GIT_TOKEN!;
const BRANCH = "autocrea-e2e";

/** The real git on a bare repository of the test server, isolated from any user or system config. */
function gitOnRemote(repo: string, args: string[]): string {
  return execFileSync("git", ["--git-dir", path.join(GIT_ROOT, repo), ...args], {
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" },
  });
}

test("push the project's versions from the Git tab to a real Git server", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  expect(GIT_URL && GIT_ROOT && GIT_TOKEN, "playwright.config.ts sets E2E_GIT_*").toBeTruthy();
  const repo = `app-${Date.now()}.git`;
  await signUp(page, "Linus");

  // Save the GitHub token the Git server expects in Settings → Deploy and Git tokens.
  await page.goto("/settings");
  const tokens = page.getByRole("region", { name: "Deploy and Git tokens" });
  await tokens.getByLabel("Provider").selectOption("github");
  await tokens.getByLabel("API key").fill(GIT_TOKEN);
  await tokens.getByRole("button", { name: "Add key" }).click();
  await expect(tokens.getByLabel(`ending in ${GIT_TOKEN.slice(-4)}`)).toBeVisible();

  // A project with two saved versions.
  await page.goto("/dashboard");
  await page.getByLabel("Name").fill("Push Me");
  await page.getByLabel(/Description of the app/).fill("A one-page site to push to Git.");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/projects\/[A-Za-z0-9_-]+$/);
  const projectId = new URL(page.url()).pathname.split("/").pop()!;
  const versions = [
    { message: "Add the home page", files: [{ path: "index.html", content: "<!doctype html><h1>Hello</h1>" }] },
    { message: "Add package.json", files: [{ path: "package.json", content: '{"name":"push-me","private":true}' }] },
  ];
  for (const version of versions) {
    const saved = await page.request.put(`/api/projects/${projectId}/files`, { data: version });
    expect(saved.ok()).toBe(true);
  }
  await page.reload();

  // The Git tab lists both versions as commits, newest first.
  const assistant = page.getByRole("complementary", { name: "Chat, runs and AI" });
  await assistant.getByRole("tab", { name: "Git", exact: true }).click();
  const panel = page.getByTestId("git-panel");
  const commits = panel.getByRole("list", { name: "Commits" }).getByRole("listitem");
  await expect(commits).toHaveCount(2);
  await expect(commits.nth(0)).toContainText("Add package.json");
  await expect(commits.nth(1)).toContainText("Add the home page");

  // Push to a new branch of the test server's repository.
  const form = panel.getByRole("form", { name: "Push to a Git remote" });
  await form.getByLabel("Host").selectOption("github");
  await form.getByLabel("Repository URL").fill(`${GIT_URL}/${repo}`);
  await form.getByLabel("Branch").fill(BRANCH);
  await form.getByRole("button", { name: "Push to GitHub" }).click();

  const pushed = panel.getByRole("status").filter({ hasText: "Pushed" });
  await expect(pushed).toBeVisible({ timeout: 30_000 });
  await expect(pushed).toContainText(BRANCH);

  // Real git on the server's side: the branch holds both versions, in order, at the commit the panel names.
  expect(gitOnRemote(repo, ["log", "--format=%s", BRANCH]).trim().split("\n")).toEqual([
    "Add package.json",
    "Add the home page",
  ]);
  const head = gitOnRemote(repo, ["rev-parse", BRANCH]).trim();
  await expect(pushed).toContainText(head.slice(0, 7));
  expect(gitOnRemote(repo, ["show", `${BRANCH}:index.html`])).toBe("<!doctype html><h1>Hello</h1>");
  expect(await page.content()).not.toContain(GIT_TOKEN);
  await page.screenshot({ path: testInfo.outputPath("git-panel.png") });

  // A host outside GIT_ALLOWED_HOSTS: the server's message shows in the panel, nothing is pushed.
  await form.getByLabel("Repository URL").fill("https://example.com/x.git");
  await form.getByRole("button", { name: "Push to GitHub" }).click();
  const refused = panel.getByRole("alert");
  await expect(refused).toContainText("Pushing to example.com is not allowed on this server");
  await expect(pushed).toBeHidden();
  expect(await page.content()).not.toContain(GIT_TOKEN);
});
