import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authed, signUp, withTestApp } from "./support/app";
import { runGit, runGitAll } from "./support/git";

/**
 * The ZIP download carries the project's history as a real Git repository:
 * unpacked, the real `git` accepts it (`fsck --full --strict`), its log is
 * the project's versions one for one, and its work tree is clean.
 */

withTestApp();

let projectsRoute: typeof import("@/app/api/projects/route");
let filesRoute: typeof import("@/app/api/projects/[id]/files/route");
let restoreRoute: typeof import("@/app/api/projects/[id]/versions/[n]/restore/route");
let downloadRoute: typeof import("@/app/api/projects/[id]/download/route");
let gitRoute: typeof import("@/app/api/projects/[id]/git/route");

const scratch = mkdtempSync(path.join(tmpdir(), "autocrea-git-export-"));

beforeAll(async () => {
  projectsRoute = await import("@/app/api/projects/route");
  filesRoute = await import("@/app/api/projects/[id]/files/route");
  restoreRoute = await import("@/app/api/projects/[id]/versions/[n]/restore/route");
  downloadRoute = await import("@/app/api/projects/[id]/download/route");
  gitRoute = await import("@/app/api/projects/[id]/git/route");
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ctx = (id: string, n?: number) => ({ params: Promise.resolve({ id, n: String(n ?? "") }) });

async function newProject(cookie: string, name: string): Promise<string> {
  const response = await projectsRoute.POST(authed("POST", "/api/projects", cookie, { name }), undefined);
  expect(response.status).toBe(201);
  return (await response.json()).project.id;
}

async function save(cookie: string, id: string, body: unknown): Promise<number> {
  const response = await filesRoute.PUT(authed("PUT", `/api/projects/${id}/files`, cookie, body), ctx(id));
  expect(response.status).toBe(200);
  return (await response.json()).version.number;
}

/** Downloads the project's ZIP through the route and unpacks it with the system `unzip`; returns the unpacked top folder. */
async function downloadAndUnzip(cookie: string, id: string, label: string): Promise<string> {
  const response = await downloadRoute.GET(authed("GET", `/api/projects/${id}/download`, cookie), ctx(id));
  expect(response.status).toBe(200);
  const zipPath = path.join(scratch, `${label}.zip`);
  writeFileSync(zipPath, Buffer.from(await response.arrayBuffer()));
  const target = path.join(scratch, label);
  execFileSync("unzip", ["-q", zipPath, "-d", target]);
  const [top] = readdirSync(target);
  return path.join(target, top);
}

const FILES_V1 = {
  "package.json": '{ "name": "todo", "private": true }\n',
  "src/index.ts": 'import { add } from "./lib/math/add";\nconsole.log(add(1, 2));\n',
  "src/lib/math/add.ts": "export const add = (a: number, b: number) => a + b;\n",
  "README.md": "# Todo ✓ — ünïcode\n",
  "empty.txt": "",
};

describe("Git history in the ZIP download", () => {
  it("is a repository git accepts, one commit per version, with a clean work tree", async () => {
    const { cookie, user } = await signUp({ name: "Ada Lovelace" });
    const id = await newProject(cookie, "Todo Git");

    const v1 = await save(cookie, id, {
      files: Object.entries(FILES_V1).map(([p, content]) => ({ path: p, content })),
      message: "Initial app",
    });
    const v2 = await save(cookie, id, {
      files: [{ path: "src/index.ts", content: 'console.log("v2");\n' }],
      deletes: ["README.md"],
      message: "Edit index, drop the README",
    });
    const v3 = await save(cookie, id, {
      files: [{ path: "src/lib/math/sub.ts", content: "export const sub = (a: number, b: number) => a - b;\n" }],
    });
    const restored = await restoreRoute.POST(authed("POST", `/api/projects/${id}/versions/${v1}/restore`, cookie), ctx(id, v1));
    expect(restored.status).toBe(201);
    const v4 = (await restored.json()).version.number as number;
    const v5 = await save(cookie, id, {
      files: [{ path: "docs/notes/today.md", content: "line 1\nline 2\n" }],
      message: "Add notes",
    });
    expect([v1, v2, v3, v4, v5]).toEqual([1, 2, 3, 4, 5]);

    const repo = await downloadAndUnzip(cookie, id, "full");
    expect(existsSync(path.join(repo, ".git", "HEAD"))).toBe(true);

    const fsck = runGitAll(repo, ["fsck", "--full", "--strict", "--no-dangling"]);
    expect(fsck).not.toMatch(/error|warning|missing|broken/i);

    expect(runGit(repo, ["symbolic-ref", "HEAD"]).trim()).toBe("refs/heads/main");
    const log = runGit(repo, ["log", "--reverse", "--format=%H|%P|%an|%ae|%at|%cn|%s|%(trailers:key=AUTOCREA-Version,valueonly,separator=)"])
      .trim()
      .split("\n")
      .map((line) => line.split("|"));
    expect(log).toHaveLength(5);
    expect(log.map((c) => c[6])).toEqual([
      "Initial app",
      "Edit index, drop the README",
      "Edit src/lib/math/sub.ts",
      "Restore version 1",
      "Add notes",
    ]);
    expect(log.map((c) => c[7])).toEqual(["1", "2", "3", "4", "5"]);
    log.forEach((commit, i) => {
      expect(commit[1]).toBe(i === 0 ? "" : log[i - 1][0]);
      expect(commit[2]).toBe("Ada Lovelace");
      expect(commit[3]).toBe(user.email);
      expect(commit[5]).toBe("Ada Lovelace");
      expect(Number(commit[4])).toBeGreaterThan(1_600_000_000);
    });
    const oids = log.map((c) => c[0]);

    expect(runGit(repo, ["status", "--porcelain", "--untracked-files=all"])).toBe("");
    // Objects travel as one pack (a handful of ZIP entries however long the history).
    const counts = runGit(repo, ["count-objects", "-v"]);
    expect(counts).toMatch(/^count: 0$/m);
    expect(counts).toMatch(/^packs: 1$/m);

    expect(runGit(repo, ["show", `${oids[0]}:src/lib/math/add.ts`])).toBe(FILES_V1["src/lib/math/add.ts"]);
    expect(runGit(repo, ["show", `${oids[0]}:README.md`])).toBe(FILES_V1["README.md"]);
    expect(runGit(repo, ["show", `${oids[1]}:src/index.ts`])).toBe('console.log("v2");\n');
    expect(runGit(repo, ["ls-tree", "-r", "--name-only", oids[1]]).trim().split("\n")).not.toContain("README.md");
    expect(runGit(repo, ["show", `${oids[2]}:src/lib/math/sub.ts`])).toContain("a - b");
    // The restore's tree is exactly version 1's.
    expect(runGit(repo, ["rev-parse", `${oids[3]}^{tree}`])).toBe(runGit(repo, ["rev-parse", `${oids[0]}^{tree}`]));
    expect(runGit(repo, ["ls-tree", "-r", "--name-only", "HEAD"]).trim().split("\n").sort()).toEqual(
      [...Object.keys(FILES_V1), "docs/notes/today.md"].sort(),
    );
    expect(runGit(repo, ["cat-file", "-t", `${oids[0]}:src/lib`]).trim()).toBe("tree");

    // The panel's listing names the same commits, newest first, and the export is deterministic.
    const listing = await gitRoute.GET(authed("GET", `/api/projects/${id}/git`, cookie), ctx(id));
    expect(listing.status).toBe(200);
    const body = await listing.json();
    expect(body.branch).toBe("main");
    expect(body.commits.map((c: { oid: string }) => c.oid)).toEqual([...oids].reverse());
    expect(body.commits.map((c: { number: number }) => c.number)).toEqual([5, 4, 3, 2, 1]);
    expect(body.commits[0]).toMatchObject({ message: "Add notes", createdAt: expect.any(Number) });

    const again = await downloadAndUnzip(cookie, id, "again");
    expect(runGit(again, ["rev-parse", "HEAD"]).trim()).toBe(oids[4]);
  });

  it("lists a new commit as soon as a version is saved (the listing is cached per newest version)", async () => {
    const { cookie } = await signUp();
    const id = await newProject(cookie, "Cached log");
    await save(cookie, id, { files: [{ path: "a.txt", content: "one" }], message: "First" });
    const list = async () => (await (await gitRoute.GET(authed("GET", `/api/projects/${id}/git`, cookie), ctx(id))).json()).commits;
    const first = await list();
    expect(await list()).toEqual(first);
    await save(cookie, id, { files: [{ path: "a.txt", content: "two" }], message: "Second" });
    const second = await list();
    expect(second.map((c: { message: string }) => c.message)).toEqual(["Second", "First"]);
    expect(second[1].oid).toBe(first[0].oid);
  });

  it("downloads a project without versions with no .git folder", async () => {
    const { cookie } = await signUp();
    const id = await newProject(cookie, "Nothing yet");
    const response = await downloadRoute.GET(authed("GET", `/api/projects/${id}/download`, cookie), ctx(id));
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.includes(Buffer.from(".git/"))).toBe(false);

    const listing = await gitRoute.GET(authed("GET", `/api/projects/${id}/git`, cookie), ctx(id));
    expect(await listing.json()).toEqual({ branch: "main", commits: [] });
  });

  it("answers 404 for someone else's project", async () => {
    const owner = await signUp();
    const other = await signUp();
    const id = await newProject(owner.cookie, "Private");
    await save(owner.cookie, id, { files: [{ path: "a.txt", content: "a" }] });
    expect((await gitRoute.GET(authed("GET", `/api/projects/${id}/git`, other.cookie), ctx(id))).status).toBe(404);
    expect((await downloadRoute.GET(authed("GET", `/api/projects/${id}/download`, other.cookie), ctx(id))).status).toBe(404);
  });
});
