import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { RunnerConfig } from "../config.js";

/**
 * The sandbox's /etc, prepared once on the host and bound with a single read-only mount.
 * Binding each host entry separately cost one mount (and one /proc/self/mountinfo scan in
 * bubblewrap) per entry on every run. The directory holds copies of the few host entries
 * programs need plus a passwd/group naming only the sandbox user. It is content-addressed
 * (`<stateDir>/sandbox-etc/<sha256>`), so concurrent runners share it safely, and rebuilt
 * when one of the host entries changes (e.g. ldconfig after a package install).
 */

const ETC_ENTRIES = [
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "alternatives",
  "localtime",
  "nsswitch.conf",
];
/** Files bigger than this are not expected in the copied entries; refuse rather than copy silently. */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

type EtcNode =
  | { kind: "file"; relative: string; mode: number; content: Buffer }
  | { kind: "dir"; relative: string }
  | { kind: "link"; relative: string; target: string };

function hostEntryNames(): string[] {
  // JDK configuration lives in /etc/java-<n>-openjdk on Debian; the JDK's conf/ links into it.
  return [
    ...ETC_ENTRIES,
    ...readdirSync("/etc").filter((name) => name.startsWith("java")),
  ].filter((name) => existsSync(path.join("/etc", name)));
}

function collect(hostRoot: string, relative: string, nodes: EtcNode[]): void {
  const hostPath = path.join(hostRoot, relative);
  const stat = lstatSync(hostPath);
  if (stat.isSymbolicLink()) {
    nodes.push({ kind: "link", relative, target: readlinkSync(hostPath) });
  } else if (stat.isDirectory()) {
    nodes.push({ kind: "dir", relative });
    for (const name of readdirSync(hostPath).sort())
      collect(hostRoot, path.join(relative, name), nodes);
  } else if (stat.isFile()) {
    if (stat.size > MAX_ENTRY_BYTES)
      throw new Error(
        `/etc/${relative} is unexpectedly large (${stat.size} bytes)`,
      );
    // Only the permission bits that make sense for a read-only copy: no setuid/setgid/sticky, no write.
    nodes.push({
      kind: "file",
      relative,
      mode: stat.mode & 0o555,
      content: readFileSync(hostPath),
    });
  }
  // Sockets, FIFOs and devices are not copied.
}

function identityNodes(config: RunnerConfig): EtcNode[] {
  const passwd = `sandbox:x:${config.sandboxUid}:${config.sandboxGid}:sandbox:/workspace:/bin/sh\n`;
  const group = `sandbox:x:${config.sandboxGid}:\n`;
  return [
    {
      kind: "file",
      relative: "passwd",
      mode: 0o444,
      content: Buffer.from(passwd),
    },
    {
      kind: "file",
      relative: "group",
      mode: 0o444,
      content: Buffer.from(group),
    },
    // The sandbox's own names only (never the host's hosts file): dev servers and test runners
    // resolve "localhost", which without this fails (EAI_AGAIN) inside the network namespace.
    {
      kind: "file",
      relative: "hosts",
      mode: 0o444,
      content: Buffer.from("127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
    },
  ];
}

function digest(nodes: EtcNode[]): string {
  const hash = createHash("sha256");
  for (const node of nodes) {
    hash.update(`${node.kind}\0${node.relative}\0`);
    if (node.kind === "file")
      hash.update(`${node.mode}\0`).update(node.content);
    if (node.kind === "link") hash.update(node.target);
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 32);
}

function writeTree(dir: string, nodes: EtcNode[]): void {
  mkdirSync(dir, { mode: 0o755 });
  for (const node of nodes) {
    const target = path.join(dir, node.relative);
    if (node.kind === "dir") mkdirSync(target, { mode: 0o755 });
    else if (node.kind === "link") symlinkSync(node.target, target);
    else writeFileSync(target, node.content, { mode: node.mode, flag: "wx" });
  }
}

/** A cheap fingerprint of the host entries (their lstat), to notice when the copy must be rebuilt. */
function hostFingerprint(names: string[]): string {
  return names
    .map((name) => {
      try {
        const stat = lstatSync(path.join("/etc", name));
        return `${name}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        return `${name}:-`;
      }
    })
    .join("|");
}

function buildSandboxEtc(config: RunnerConfig): string {
  const nodes: EtcNode[] = [];
  for (const name of hostEntryNames()) collect("/etc", name, nodes);
  nodes.push(...identityNodes(config));
  const root = path.join(config.stateDir, "sandbox-etc");
  mkdirSync(config.stateDir, { recursive: true, mode: 0o755 });
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const final = path.join(root, digest(nodes));
  if (existsSync(final)) return final;
  const staging = path.join(
    root,
    `.staging-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
  try {
    writeTree(staging, nodes);
    try {
      renameSync(staging, final);
    } catch (error) {
      // Another runner built the same content first: use theirs.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return final;
}

interface Prepared {
  dir: string;
  fingerprint: string;
}

const prepared = new WeakMap<RunnerConfig, Prepared>();

/**
 * The host directory to bind read-only at /etc in every sandbox. Costs a few lstat calls when
 * nothing changed; rebuilds the copy when a host entry did.
 */
export function sandboxEtcDir(config: RunnerConfig): string {
  const names = hostEntryNames();
  const fingerprint = hostFingerprint(names);
  const current = prepared.get(config);
  if (current && current.fingerprint === fingerprint && existsSync(current.dir))
    return current.dir;
  const dir = buildSandboxEtc(config);
  prepared.set(config, { dir, fingerprint });
  return dir;
}
