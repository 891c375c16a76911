import { describe, expect, it } from "vitest";
import { checksFor } from "@/lib/ai/changes/checks";
import { editorMessages, requestTerms, selectChangeContext } from "@/lib/ai/changes/context";
import { CONVERSATION_CHARS, conversationSection } from "@/lib/ai/changes/history";
import type { ChangeSummary } from "@/lib/workspace/change-summary";
import { WorkingTree } from "@/lib/ai/runs/working-tree";
import { TODO_APP_FILES } from "../fixtures/llm-server/scripts/todo-app";

const todoApp = () => new WorkingTree(Object.entries(TODO_APP_FILES).map(([path, content]) => ({ path, content })));

describe("the files a change request is shown", () => {
  it("keeps the request's meaningful words, folding plurals", () => {
    expect(requestTerms("Add a due date to each of the todos, please")).toEqual(["due", "date", "todo"]);
  });

  it("shows the files the request is about, weighing words every file has lightly, and lists the rest", () => {
    const context = selectChangeContext(todoApp(), "Make the page's header sticky and the styles darker");
    const shown = context.shown.map((f) => f.path);
    expect(shown[0]).toBe("public/styles.css");
    expect(shown).toContain("package.json");
    expect(shown).not.toContain("Dockerfile");
    expect(shown).not.toContain("server.js");
    expect(context.listed.map((f) => f.path)).toContain("server.js");
    expect([...shown, ...context.listed.map((f) => f.path)].sort()).toEqual(Object.keys(TODO_APP_FILES).sort());
  });

  it("stays within its budget, and shows only the manifest when nothing matches", () => {
    const small = selectChangeContext(todoApp(), "titles in the store: at most 100 characters", 2_500);
    expect(small.shown.reduce((n, f) => n + f.content.length, 0)).toBeLessThanOrEqual(2_500);
    expect(selectChangeContext(todoApp(), "zzz qqq").shown.map((f) => f.path)).toEqual(["package.json"]);
  });

  it("the editor reads the request, the project, every path and only the shown files' content", () => {
    const tree = todoApp();
    const context = selectChangeContext(tree, "Make the header sticky");
    const [system, user] = editorMessages({ request: "Make the header sticky", about: "A tiny todo app." }, context);
    expect(system.content.split("\n")[0]).toBe("ROLE: editor");
    expect(user.content).toContain("## The change the user asks for\n\nMake the header sticky");
    for (const path of Object.keys(TODO_APP_FILES)) expect(user.content).toContain(`- ${path} (`);
    expect(user.content).not.toContain(TODO_APP_FILES["server.js"]);
  });
});

describe("the checks a change runs", () => {
  const tree = (files: Record<string, string>) => new WorkingTree(Object.entries(files).map(([path, content]) => ({ path, content })));

  it("come from the manifest: install with dependencies, then build and test scripts", () => {
    expect(checksFor(todoApp())).toEqual(["npm test"]);
    expect(
      checksFor(tree({ "package.json": JSON.stringify({ scripts: { build: "vite build", test: "vitest run" }, dependencies: { react: "19" } }) })),
    ).toEqual(["npm install", "npm run build", "npm test"]);
    expect(checksFor(tree({ "package.json": "{ not json" }))).toEqual(["npm install"]);
  });

  it("for Python: the requirements, then unittest discovery when there are tests", () => {
    expect(checksFor(tree({ "app.py": "", "requirements.txt": "flask\n", "test_app.py": "" }))).toEqual([
      "python3 -m pip install --quiet --target .pypackages -r requirements.txt",
      "PYTHONPATH=.pypackages python3 -m unittest discover -v",
    ]);
    expect(checksFor(tree({ "app.py": "" }))).toEqual([]);
  });
});

describe("the conversation a change's editor reads", () => {
  const change = (request: string, extra: Partial<ChangeSummary> = {}): ChangeSummary => ({
    runId: request.slice(0, 8),
    request,
    status: "completed",
    createdAt: 0,
    finishedAt: 1,
    spent: 1,
    version: 2,
    files: [{ path: "public/app.js", action: "edited" }],
    issues: [],
    error: null,
    ...extra,
  });

  it("is absent before the first change, and skips the change still running", () => {
    expect(conversationSection({ changes: [], more: false })).toBeNull();
    expect(conversationSection({ changes: [change("add a due date", { status: "running" })], more: false })).toBeNull();
  });

  it("quotes recent requests whole with their results, oldest first, and the editor reads them after the request", () => {
    const section = conversationSection({
      changes: [
        change("Add a due date to each todo"),
        change("Make the date red when it has passed\nand bold", {
          status: "completed_with_issues",
          issues: [{ summary: "npm test failed", detail: "AssertionError" }],
        }),
      ],
      more: false,
    })!;
    expect(section).toContain("  > Add a due date to each todo\n  Result: edited public/app.js; the checks passed.");
    expect(section).toContain("  > Make the date red when it has passed\n  > and bold\n  Result: edited public/app.js; not verified: npm test failed.");
    expect(section.indexOf("due date")).toBeLessThan(section.indexOf("red"));
    const [, user] = editorMessages(
      { request: "Now make it blue", about: "A todo app.", earlier: section },
      selectChangeContext(todoApp(), "Now make it blue"),
    );
    expect(user.content).toMatch(/## The change the user asks for\n\nNow make it blue\n\n## Earlier in this conversation\n\n/);
  });

  it("summarises older requests in one line that says so, never cutting a recent one, and says when the oldest are left out", () => {
    const long = (n: number) => `Request ${n}: ${"make the list nicer ".repeat(60)}`;
    const changes = Array.from({ length: 12 }, (_, n) => change(long(n)));
    const section = conversationSection({ changes, more: true })!;
    expect(section.length).toBeLessThan(CONVERSATION_CHARS + 12 * 400);
    expect(section.startsWith("(Older requests are not included.)")).toBe(true);
    expect(section).toContain(`- The user asked: "Request 0: make the list nicer`);
    expect(section).toMatch(/… \(summarised: \d+ characters in all\)/);
    // The newest request is quoted whole.
    expect(section).toContain(`  > ${long(11).trim()}\n  Result:`);
    // Every request appears, summarised or whole.
    for (let n = 0; n < 12; n++) expect(section).toContain(`Request ${n}:`);
  });
});
