import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildRepository, commitMessage, gitIdentity, type HistoryVersion } from "@/lib/git/history";
import { readGitDir } from "@/lib/git/repository";
import type { FileInput } from "@/lib/store/types";
import { projectZipEntries, zipBuffer } from "@/lib/zip";

const sha = (content: string) => createHash("sha256").update(content, "utf8").digest("hex");

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "autocrea-git-unit-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Versions over these file sets; version 3 restores version 1. */
const TREES: Array<Record<string, string>> = [
  { "a.txt": "A\n", "src/b.ts": "B\n" },
  { "a.txt": "A2\n", "src/b.ts": "B\n", "src/deep/c.ts": "C\n" },
  { "a.txt": "A\n", "src/b.ts": "B\n" },
];
const VERSIONS: HistoryVersion[] = TREES.map((files, i) => ({
  number: i + 1,
  message: i === 2 ? "Restore version 1" : `Save ${i + 1}`,
  parent: i === 0 ? null : i,
  createdAt: 1_700_000_000_000 + i * 60_000,
  manifest: Object.fromEntries(Object.entries(files).map(([p, c]) => [p, sha(c)])),
}));

function reader() {
  const reads: number[] = [];
  return {
    reads,
    readVersionFiles: async (number: number): Promise<FileInput[]> => {
      reads.push(number);
      return Object.entries(TREES[number - 1]).map(([p, content]) => ({ path: p, content }));
    },
  };
}

const author = { name: "Ada", email: "ada@example.com" };

describe("building a repository from versions", () => {
  it("is deterministic and reads a version only when it has unseen contents", async () => {
    const first = reader();
    const one = await buildRepository({ dir: tempDir(), versions: VERSIONS, author, ...first });
    const two = await buildRepository({ dir: tempDir(), versions: [...VERSIONS].reverse(), author, ...reader() });
    expect(one.commits.map((c) => c.oid)).toEqual(two.commits.map((c) => c.oid));
    expect(one.head).toBe(one.commits[2].oid);
    // Version 3 only repeats contents of version 1, so it is never read.
    expect(first.reads).toEqual([1, 2]);
    expect(one.commits.map((c) => c.parent)).toEqual([null, one.commits[0].oid, one.commits[1].oid]);

    const otherAuthor = await buildRepository({ dir: tempDir(), versions: VERSIONS, author: { ...author, name: "Bob" }, ...reader() });
    expect(otherAuthor.head).not.toBe(one.head);
  });

  it("has no commits and no ref for a project without versions", async () => {
    const built = await buildRepository({ dir: tempDir(), versions: [], author, ...reader() });
    expect(built).toMatchObject({ head: null, commits: [], branch: "main" });
  });

  it("puts .git bytes into the ZIP unchanged, so git reads the unpacked repository", async () => {
    const dir = tempDir();
    const built = await buildRepository({ dir, versions: VERSIONS, author, ...reader() });
    const gitFiles = await readGitDir(built.gitdir);
    const zip = await zipBuffer(projectZipEntries("Demo", Object.entries(TREES[2]).map(([p, content]) => ({ path: p, content })), gitFiles));
    const out = tempDir();
    writeFileSync(path.join(out, "demo.zip"), zip);
    execFileSync("unzip", ["-q", "demo.zip", "-d", "x"], { cwd: out });
    const repo = path.join(out, "x", "Demo");
    const git = (...args: string[]) =>
      execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: out } });
    git("fsck", "--full", "--strict");
    expect(git("rev-parse", "HEAD").trim()).toBe(built.head);
    expect(git("status", "--porcelain")).toBe("");
    expect(git("log", "-1", "--format=%B", built.commits[0].oid)).toBe(`${commitMessage(VERSIONS[0])}\n`);
  });
});

describe("commit identity and messages", () => {
  it("sanitises names and falls back to a stable noreply address", () => {
    expect(gitIdentity("Ada <x>\nL", "ada@example.com", "u1")).toEqual({ name: "Ada xL", email: "ada@example.com" });
    expect(gitIdentity("", "", "user_42")).toEqual({ name: "AUTOCREA user", email: "user_42@users.noreply.autocrea.local" });
  });

  it("adds the version trailer and never leaves the subject empty", () => {
    expect(commitMessage({ number: 7, message: "  Fix login \r\n" })).toBe("Fix login\n\nAUTOCREA-Version: 7\n");
    expect(commitMessage({ number: 2, message: "" })).toBe("Version 2\n\nAUTOCREA-Version: 2\n");
  });
});
