import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chownSync,
  closeSync,
  constants,
  existsSync,
  fchownSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { getRunnerConfig, type RunnerConfig } from "../config.js";
import { removeStaleVolumes } from "./quota-volume.js";

/**
 * Host-side access to a workspace. A sandboxed program can plant symlinks, FIFOs or devices-in-name
 * in its workspace, so every host access walks the path one component at a time with O_NOFOLLOW
 * (through /proc/self/fd/<dirfd>/<name>, which behaves like openat) and refuses anything that is
 * not a plain directory or regular file (Judge0 CVE-2024-28185).
 */

export const MAX_PATH_LENGTH = 255;
export const MAX_PATH_DEPTH = 16;

export class WorkspacePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkspacePathError";
  }
}

/** Normalizes a request-supplied relative path; throws WorkspacePathError if it could leave the workspace. */
export function normalizeWorkspacePath(input: string): string {
  if (typeof input !== "string" || input.length === 0)
    throw new WorkspacePathError("file path is empty");
  if (input.length > MAX_PATH_LENGTH)
    throw new WorkspacePathError(
      `file path longer than ${MAX_PATH_LENGTH} characters`,
    );
  if (input.includes("\0"))
    throw new WorkspacePathError("file path contains a NUL byte");
  if (input.includes("\\"))
    throw new WorkspacePathError(`file path "${input}" contains a backslash`);
  if (input.startsWith("/"))
    throw new WorkspacePathError(`file path "${input}" must be relative`);
  const parts = input.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes(".."))
    throw new WorkspacePathError(`file path "${input}" contains ".."`);
  if (parts.length === 0)
    throw new WorkspacePathError(`file path "${input}" names no file`);
  if (parts.length > MAX_PATH_DEPTH)
    throw new WorkspacePathError(`file path "${input}" is nested too deeply`);
  return parts.join("/");
}

export interface Workspace {
  /** Host directory, bound at /workspace inside the sandbox. */
  dir: string;
}

function workspacesRoot(config: RunnerConfig): string {
  const root = path.join(config.stateDir, "ws");
  // 0711: the sandbox uid must traverse it to bind its own workspace, but cannot list the others.
  mkdirSync(config.stateDir, { recursive: true, mode: 0o755 });
  mkdirSync(root, { recursive: true, mode: 0o711 });
  return root;
}

/** Workspaces this process created and has not removed: never stale (sweepStaleWorkspaces). */
const ownWorkspaces = new Set<string>();

/**
 * `prefix` names the owner of the workspace, `<kind>-<pid>-`: a runner's start-up sweep
 * (sweepStaleWorkspaces) leaves those of other live processes alone. Default `run-<pid>-`.
 */
export function createWorkspace(
  config: RunnerConfig = getRunnerConfig(),
  prefix = `run-${process.pid}-`,
): Workspace {
  const dir = path.join(
    workspacesRoot(config),
    `${prefix}${randomBytes(12).toString("hex")}`,
  );
  mkdirSync(dir, { mode: 0o700 });
  ownWorkspaces.add(dir);
  chownSync(dir, config.sandboxUid, config.sandboxGid);
  return { dir };
}

export function removeWorkspace(workspace: Workspace): void {
  // rm does not follow symlinks inside the tree; it removes the links themselves.
  rmSync(workspace.dir, { recursive: true, force: true, maxRetries: 3 });
  ownWorkspaces.delete(workspace.dir);
}

/**
 * Removes trees without blocking the event loop (a session's workspace can hold 100k files):
 * GNU rm in a child process, which walks with openat and never follows a symlink. Nothing may
 * still run in them (a sandboxed process could otherwise keep adding files).
 */
function removeTrees(dirs: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/rm", ["-rf", "--one-file-system", "--", ...dirs], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`removing ${dirs.join(", ")} failed (${signal ?? `exit code ${code}`}): ${stderr.trim()}`));
    });
  });
}

/** removeWorkspace without blocking the event loop, for workspaces that may be large. */
export async function removeWorkspaceInBackground(workspace: Workspace): Promise<void> {
  await removeTrees([workspace.dir]);
  ownWorkspaces.delete(workspace.dir);
}

/**
 * Removes what earlier runner processes left under the workspaces root (a runner killed with
 * SIGKILL leaves its sessions' and runs' workspaces), without blocking the event loop. Kept:
 * this process's own workspaces and those named after another live process (`<kind>-<pid>-`).
 * A workspace named after this pid that this process did not create is a previous runner's
 * (pids repeat in a container). Resolves with the names removed.
 */
export async function sweepStaleWorkspaces(
  config: RunnerConfig = getRunnerConfig(),
): Promise<string[]> {
  const root = workspacesRoot(config);
  const isStale = (name: string) => {
    if (ownWorkspaces.has(path.join(root, name))) return false;
    const owner = Number(/^[a-z]+-(\d+)-/.exec(name)?.[1]);
    return !owner || owner === process.pid || !existsSync(`/proc/${owner}`);
  };
  const stale = readdirSync(root).filter(isStale);
  // A stale session workspace can still be a mounted volume: rm --one-file-system would leave it.
  await removeStaleVolumes(config.stateDir, stale.map((name) => path.join(root, name)), isStale);
  const failures: string[] = [];
  for (let i = 0; i < stale.length; i += 100) {
    await removeTrees(stale.slice(i, i + 100).map((name) => path.join(root, name))).catch((error: Error) =>
      failures.push(error.message),
    );
  }
  if (failures.length > 0) throw new Error(failures.join("; "));
  return stale;
}

/** Every workspace under the workspaces root. */
export function listWorkspaces(
  config: RunnerConfig = getRunnerConfig(),
): Workspace[] {
  const root = workspacesRoot(config);
  return readdirSync(root).map((name) => ({ dir: path.join(root, name) }));
}

const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

function fdPath(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

function openDirNoFollow(dirFd: number, name: string, display: string): number {
  try {
    return openSync(fdPath(dirFd, name), O_DIR);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR") {
      throw new WorkspacePathError(
        `"${display}" is not a directory (symlinks are not followed)`,
      );
    }
    throw error;
  }
}

/** Walks to the parent directory of `relPath`, creating missing directories if asked. Returns its fd. */
function openParent(
  workspace: Workspace,
  relPath: string,
  create: RunnerConfig | undefined,
): number {
  const parts = relPath.split("/");
  let dirFd = openSync(workspace.dir, O_DIR);
  try {
    for (let i = 0; i < parts.length - 1; i++) {
      const display = parts.slice(0, i + 1).join("/");
      if (create) {
        try {
          mkdirSync(fdPath(dirFd, parts[i]), { mode: 0o755 });
          const created = openDirNoFollow(dirFd, parts[i], display);
          fchownSync(created, create.sandboxUid, create.sandboxGid);
          closeSync(dirFd);
          dirFd = created;
          continue;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
      }
      const next = openDirNoFollow(dirFd, parts[i], display);
      closeSync(dirFd);
      dirFd = next;
    }
    return dirFd;
  } catch (error) {
    closeSync(dirFd);
    throw error;
  }
}

/** Writes (creating or replacing) a regular file in the workspace, owned by the sandbox uid. */
export function writeWorkspaceFile(
  workspace: Workspace,
  relPath: string,
  content: string | Buffer,
  config: RunnerConfig = getRunnerConfig(),
): void {
  const normalized = normalizeWorkspacePath(relPath);
  const parentFd = openParent(workspace, normalized, config);
  let fd: number;
  try {
    // No O_TRUNC: truncate only after checking that what we opened is a regular file.
    fd = openSync(
      fdPath(parentFd, path.posix.basename(normalized)),
      constants.O_WRONLY |
        constants.O_CREAT |
        constants.O_NOFOLLOW |
        constants.O_NONBLOCK,
      0o644,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      throw new WorkspacePathError(
        `"${normalized}" is a symlink; refusing to write through it`,
      );
    if (code === "EISDIR")
      throw new WorkspacePathError(`"${normalized}" is a directory`);
    if (code === "ENXIO")
      throw new WorkspacePathError(`"${normalized}" is not a regular file`);
    throw error;
  } finally {
    closeSync(parentFd);
  }
  try {
    if (!fstatSync(fd).isFile())
      throw new WorkspacePathError(`"${normalized}" is not a regular file`);
    ftruncateSync(fd, 0);
    const data =
      typeof content === "string" ? Buffer.from(content, "utf8") : content;
    let offset = 0;
    while (offset < data.length)
      offset += writeSync(fd, data, offset, data.length - offset, offset);
    fchownSync(fd, config.sandboxUid, config.sandboxGid);
  } finally {
    closeSync(fd);
  }
}

/** Reads a regular file from the workspace without following symlinks; refuses FIFOs, devices, directories. */
export function readWorkspaceFile(
  workspace: Workspace,
  relPath: string,
  maxBytes: number,
): Buffer {
  const normalized = normalizeWorkspacePath(relPath);
  const parentFd = openParent(workspace, normalized, undefined);
  let fd: number;
  try {
    fd = openSync(
      fdPath(parentFd, path.posix.basename(normalized)),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      throw new WorkspacePathError(
        `"${normalized}" is a symlink; refusing to follow it`,
      );
    }
    throw error;
  } finally {
    closeSync(parentFd);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new WorkspacePathError(`"${normalized}" is not a regular file`);
    if (stat.size > maxBytes)
      throw new WorkspacePathError(
        `"${normalized}" is larger than ${maxBytes} bytes`,
      );
    const buffer = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < buffer.length) {
      const read = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

/** Creates a directory (and its parents) in the workspace without following symlinks. */
export function createWorkspaceDir(
  workspace: Workspace,
  relPath: string,
  config: RunnerConfig = getRunnerConfig(),
): void {
  const normalized = normalizeWorkspacePath(relPath);
  closeSync(openParent(workspace, `${normalized}/.keep`, config));
}
