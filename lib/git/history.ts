import fs from "node:fs";
import path from "node:path";
import git from "isomorphic-git";
import type { FileInput, Version } from "@/lib/store/types";
import { renderIndexFile, type IndexEntry } from "./index-file";

/**
 * Turns a project's stored versions into a Git repository: one commit per
 * version, in order, whose tree is exactly that version's files and whose
 * parent is the commit of `version.parent`. Commits are deterministic (same
 * versions and author → same ids), so pushing twice changes nothing.
 * Each distinct content is read and written once: the manifests' sha256
 * tell which contents a version shares with earlier ones, and a version
 * whose contents are all known is not read at all.
 */

export const GIT_BRANCH = "main";
export const VERSION_TRAILER = "AUTOCREA-Version";

export interface GitIdentity {
  name: string;
  email: string;
}

export type HistoryVersion = Pick<Version, "number" | "message" | "parent" | "createdAt" | "manifest">;

export interface BuiltCommit {
  oid: string;
  number: number;
  /** The version's message (without the trailer). */
  message: string;
  createdAt: number;
  parent: string | null;
}

export interface BuiltRepository {
  /** The `.git` folder. */
  gitdir: string;
  branch: typeof GIT_BRANCH;
  /** Oldest first. */
  commits: BuiltCommit[];
  /** The last commit, null when there are no versions. */
  head: string | null;
  /** Every object written (commits, trees, blobs), each once. */
  objectIds: string[];
}

export interface BuildRepositoryInput {
  /** An empty folder; the repository goes in `<dir>/.git`. */
  dir: string;
  versions: readonly HistoryVersion[];
  author: GitIdentity;
  readVersionFiles(number: number): Promise<FileInput[]>;
}

interface StoredBlob {
  oid: string;
  size: number;
}

interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: "blob" | "tree";
}

type DirectoryNode = Map<string, DirectoryNode | StoredBlob>;

const CONFIG =
  "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n";

/** The full commit message: the version's message plus a trailer naming the version. */
export function commitMessage(version: Pick<HistoryVersion, "number" | "message">): string {
  const subject = version.message.replace(/\r/g, "").trim() || `Version ${version.number}`;
  return `${subject}\n\n${VERSION_TRAILER}: ${version.number}\n`;
}

/** A name and email Git accepts in an author line (no angle brackets or newlines). */
export function gitIdentity(name: string | undefined, email: string | undefined, fallbackId: string): GitIdentity {
  const clean = (value: string | undefined) => (value ?? "").replace(/[<>\n\r\0]/g, "").trim();
  const safeEmail = clean(email).replace(/\s+/g, "");
  const fallbackEmail = `${fallbackId.replace(/[^A-Za-z0-9._-]/g, "") || "user"}@users.noreply.autocrea.local`;
  return {
    name: clean(name) || clean(email) || "AUTOCREA user",
    email: safeEmail || fallbackEmail,
  };
}

/**
 * Moves every loose object into one packfile with its index, so an export
 * holds a handful of files however long the history (a ZIP without ZIP64 is
 * limited to 65535 entries).
 */
export async function packRepository({ dir, gitdir, objectIds }: Pick<BuiltRepository, "gitdir" | "objectIds"> & { dir: string }): Promise<void> {
  if (objectIds.length === 0) return;
  const { filename } = await git.packObjects({ fs, dir, gitdir, oids: objectIds, write: true });
  await git.indexPack({ fs, dir, gitdir, filepath: path.relative(dir, path.join(gitdir, "objects", "pack", filename)) });
  const objects = path.join(gitdir, "objects");
  for (const entry of await fs.promises.readdir(objects)) {
    if (/^[0-9a-f]{2}$/.test(entry)) await fs.promises.rm(path.join(objects, entry), { recursive: true, force: true });
  }
}

export async function buildRepository({ dir, versions, author, readVersionFiles }: BuildRepositoryInput): Promise<BuiltRepository> {
  const gitdir = path.join(dir, ".git");
  await git.init({ fs, dir, gitdir, defaultBranch: GIT_BRANCH });
  await fs.promises.writeFile(path.join(gitdir, "config"), CONFIG);

  const blobs = new Map<string, StoredBlob>();
  const trees = new Map<string, string>();
  const commitsByNumber = new Map<number, string>();
  const commits: BuiltCommit[] = [];
  let headFiles: IndexEntry[] = [];

  const writeTree = async (node: DirectoryNode): Promise<string> => {
    const entries: TreeEntry[] = [];
    for (const [name, child] of node) {
      if (child instanceof Map) entries.push({ mode: "040000", path: name, oid: await writeTree(child), type: "tree" });
      else entries.push({ mode: "100644", path: name, oid: child.oid, type: "blob" });
    }
    const key = entries.map((e) => `${e.mode} ${e.oid} ${e.path}`).sort().join("\n");
    let oid = trees.get(key);
    if (!oid) {
      oid = await git.writeTree({ fs, gitdir, tree: entries });
      trees.set(key, oid);
    }
    return oid;
  };

  for (const version of [...versions].sort((a, b) => a.number - b.number)) {
    const manifest = Object.entries(version.manifest);
    if (manifest.some(([, sha]) => !blobs.has(sha))) {
      const contents = new Map((await readVersionFiles(version.number)).map((f) => [f.path, f.content]));
      for (const [filePath, sha] of manifest) {
        if (blobs.has(sha)) continue;
        const content = contents.get(filePath);
        if (content === undefined) throw new Error(`Version ${version.number} has no content for ${filePath}.`);
        const bytes = Buffer.from(content, "utf8");
        blobs.set(sha, { oid: await git.writeBlob({ fs, gitdir, blob: bytes }), size: bytes.length });
      }
    }

    const root: DirectoryNode = new Map();
    for (const [filePath, sha] of manifest) {
      const parts = filePath.split("/");
      let node = root;
      for (const part of parts.slice(0, -1)) {
        let child = node.get(part);
        if (!(child instanceof Map)) {
          child = new Map();
          node.set(part, child);
        }
        node = child;
      }
      node.set(parts[parts.length - 1], blobs.get(sha)!);
    }
    const tree = await writeTree(root);

    const previous = commits.at(-1)?.oid ?? null;
    const parent = (version.parent !== null ? commitsByNumber.get(version.parent) : undefined) ?? previous;
    const when = { timestamp: Math.floor(version.createdAt / 1000), timezoneOffset: 0 };
    const oid = await git.writeCommit({
      fs,
      gitdir,
      commit: {
        message: commitMessage(version),
        tree,
        parent: parent ? [parent] : [],
        author: { ...author, ...when },
        committer: { ...author, ...when },
      },
    });
    commitsByNumber.set(version.number, oid);
    commits.push({ oid, number: version.number, message: version.message, createdAt: version.createdAt, parent });
    headFiles = manifest.map(([filePath, sha]) => ({ path: filePath, ...blobs.get(sha)! }));
  }

  const objectIds = [...new Set([...[...blobs.values()].map((b) => b.oid), ...trees.values(), ...commitsByNumber.values()])];
  const head = commits.at(-1)?.oid ?? null;
  if (head) {
    await git.writeRef({ fs, gitdir, ref: `refs/heads/${GIT_BRANCH}`, value: head, force: true });
    await fs.promises.writeFile(path.join(gitdir, "index"), renderIndexFile(headFiles));
  }
  return { gitdir, branch: GIT_BRANCH, commits, head, objectIds };
}
