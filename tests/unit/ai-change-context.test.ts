import { describe, expect, it } from "vitest";
import { checksFor } from "@/lib/ai/changes/checks";
import { editorMessages, requestTerms, selectChangeContext } from "@/lib/ai/changes/context";
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
    const [system, user] = editorMessages("Make the header sticky", "A tiny todo app.", context);
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
