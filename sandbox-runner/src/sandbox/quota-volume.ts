import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { chmod, mkdir, open, rm, rmdir, statfs } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

/**
 * A session's workspace as a filesystem of its own: a sparse ext4 image, loop-mounted on the
 * workspace directory. Its size and its inode count are fixed when it is made, so a sandbox that
 * writes without end (a runaway log, an install, a file flood) fills its own workspace and stops
 * with ENOSPC; the host's disk, the other sessions and the runner's state are not touched. A
 * per-file RLIMIT_FSIZE bounds one file only; uid quotas need a filesystem mounted for them.
 *
 * Removal is an unmount and one unlink, however many files the workspace held.
 */

export interface WorkspaceQuota {
  bytes: number;
  inodes: number;
}

const run = promisify(execFile);

async function makeVolumesDir(stateDir: string): Promise<void> {
  // The state directory itself stays traversable: the sandbox uids reach their files under it.
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  await mkdir(path.join(stateDir, "volumes"), { recursive: true, mode: 0o700 });
}

/** Where a workspace's image lives: `<stateDir>/volumes/<workspace name>.img`, root only. */
export function volumeImagePath(stateDir: string, workspaceDir: string): string {
  return path.join(stateDir, "volumes", `${path.basename(workspaceDir)}.img`);
}

async function command(file: string, args: string[]): Promise<void> {
  try {
    await run(file, args, { timeout: 30_000, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" } });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
    throw new Error(`${path.basename(file)} failed: ${stderr || (error as Error).message}`);
  }
}

/**
 * Makes the image and mounts it on `dir` (an empty directory), owned by `owner` with mode 0700.
 * nosuid and nodev: nothing in a workspace gains privileges or opens a device.
 */
export async function mountQuotaVolume(
  stateDir: string,
  dir: string,
  quota: WorkspaceQuota,
  owner: { uid: number; gid: number },
): Promise<void> {
  const image = volumeImagePath(stateDir, dir);
  await makeVolumesDir(stateDir);
  const handle = await open(image, "wx", 0o600);
  try {
    await handle.truncate(quota.bytes);
  } finally {
    await handle.close();
  }
  try {
    // No journal and no reserved blocks: the volume lives as long as its session and is thrown
    // away after a crash. lazy_itable_init + noinit_itable: the inode tables of a sparse image
    // read as zeros already, so nothing writes them out.
    await command("mkfs.ext4", [
      "-q", "-F", "-m", "0", "-O", "^has_journal",
      "-N", String(quota.inodes),
      "-E", `root_owner=${owner.uid}:${owner.gid},lazy_itable_init=1`,
      image,
    ]);
    await command("mount", ["-t", "ext4", "-o", "loop,nosuid,nodev,noatime,discard,noinit_itable", image, dir]);
  } catch (error) {
    await rm(image, { force: true });
    throw error;
  }
  try {
    await rmdir(path.join(dir, "lost+found"));
    await chmod(dir, 0o700);
  } catch (error) {
    await unmountQuotaVolume(stateDir, dir);
    throw error;
  }
}

/**
 * Unmounts the workspace's volume (lazily when something still holds it: it disappears when
 * released) and deletes its image. The directory itself stays, empty.
 */
export async function unmountQuotaVolume(stateDir: string, dir: string): Promise<void> {
  if (mountPointsUnder(dir).includes(dir)) {
    await command("umount", [dir]).catch(() => command("umount", ["--lazy", dir]));
  }
  await rm(volumeImagePath(stateDir, dir), { force: true });
}

function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points at or below `dir` (/proc/self/mountinfo), deepest first. */
export function mountPointsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((field): field is string => Boolean(field))
    .map(unescapeMountPath)
    .filter((point) => point === dir || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/**
 * Unmounts the volumes of the given (stale) workspaces and deletes the images whose workspace
 * name `isStale` says is stale: a runner killed with sessions open leaves both behind.
 */
export async function removeStaleVolumes(
  stateDir: string,
  staleDirs: string[],
  isStale: (workspaceName: string) => boolean,
): Promise<void> {
  for (const dir of staleDirs) {
    for (const point of mountPointsUnder(dir)) await command("umount", ["--lazy", point]);
  }
  await makeVolumesDir(stateDir);
  const volumes = path.join(stateDir, "volumes");
  for (const entry of readdirSync(volumes)) {
    if (entry.endsWith(".img") && isStale(entry.slice(0, -4))) await rm(path.join(volumes, entry), { force: true });
  }
}

/** Free space and inodes of a workspace volume; full when either is (nearly) gone. */
export async function workspaceFull(dir: string): Promise<boolean> {
  const stats = await statfs(dir).catch(() => undefined);
  if (!stats) return false;
  return stats.bavail * stats.bsize < 64 * 1024 || stats.ffree === 0;
}

/** What a command that hit the quota is told, after its own error. */
export function workspaceFullNotice(quota: WorkspaceQuota): string {
  return (
    `[runner] The workspace is full: it holds at most ${formatBytes(quota.bytes)} and ${quota.inodes.toLocaleString("en-US")} files ` +
    "and directories. Delete files (build output, caches, node_modules) to free space.\n"
  );
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1024 ? `${+(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`;
}

/**
 * Proves that this process can make and mount a volume (root with mount rights and loop devices),
 * so that a runner without them refuses to start instead of failing each session.
 */
export async function checkQuotaVolumes(stateDir: string, owner: { uid: number; gid: number }): Promise<void> {
  // Named like a workspace (`<kind>-<pid>-`), so that a sweep after a crash removes its image.
  const dir = path.join(stateDir, `check-${process.pid}-volume`);
  try {
    await makeVolumesDir(stateDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await mountQuotaVolume(stateDir, dir, { bytes: 8 * 1024 * 1024, inodes: 128 }, owner);
    await unmountQuotaVolume(stateDir, dir);
  } catch (error) {
    throw new Error(
      `workspace quotas need a loop-mounted ext4 volume per session, and making one failed (${(error as Error).message}). ` +
        "Run the runner as root with mount rights and loop devices, or set RUNNER_WORKSPACE_QUOTA=off to run without disk quotas.",
    );
  } finally {
    await rmdir(dir).catch(() => undefined);
  }
}
