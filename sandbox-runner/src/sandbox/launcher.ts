import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * sandbox-launch (launcher/sandbox-launch.c): the small static program that joins the cgroups, sets
 * the rlimits, drops to the sandbox uid with no capabilities and no_new_privs, then execs bubblewrap.
 * Built by `sh src/sandbox/launcher/build.sh` (scripts/setup.sh and the Dockerfile run it).
 */

const PACKAGE_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../..",
);

/** Where the runner expects the launcher: RUNNER_LAUNCHER_PATH, else build/sandbox-launch in the package. */
export function launcherPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.RUNNER_LAUNCHER_PATH;
  if (configured) {
    if (!path.isAbsolute(configured))
      throw new Error(
        `RUNNER_LAUNCHER_PATH must be absolute, got "${configured}"`,
      );
    return configured;
  }
  return path.join(PACKAGE_ROOT, "build", "sandbox-launch");
}

/**
 * sandbox-exec (launcher/sandbox-exec.c), built next to the launcher: the first program of a ready
 * sandbox (ready-pool.ts), which execs the run's program once the runner sends it.
 */
export function execHelperPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(launcherPath(env)), "sandbox-exec");
}

/**
 * gateway-link (launcher/gateway-link.c), built next to the launcher: the first program of a sandbox
 * that reaches the package gateway; it forwards 127.0.0.1:4873 inside the sandbox to the session's door.
 */
export function gatewayLinkPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(launcherPath(env)), "gateway-link");
}

/**
 * app-link (launcher/app-link.c), built next to the launcher: started by the runner as root, it joins
 * a session app's network namespace, drops to the session's uid and forwards a host Unix socket to
 * the app's port there.
 */
export function appLinkPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(launcherPath(env)), "app-link");
}

export const LAUNCHER_BUILD_HINT =
  "build it with `sh sandbox-runner/src/sandbox/launcher/build.sh` (run by scripts/setup.sh)";

/**
 * Why the launcher cannot be trusted to start sandboxes, or null if it can. It runs as root, so it
 * must be a root-owned executable that nobody else can replace.
 */
export function launcherProblem(
  file: string = launcherPath(),
  what = "sandbox launcher",
): string | null {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return `the ${what} is missing at ${file}; ${LAUNCHER_BUILD_HINT}`;
  }
  if (!stat.isFile()) return `the ${what} at ${file} is not a file`;
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return `the ${what} at ${file} is not executable`;
  }
  if (stat.uid !== 0) return `the ${what} at ${file} must be owned by root`;
  if ((stat.mode & 0o022) !== 0)
    return `the ${what} at ${file} must not be writable by group or others`;
  return null;
}

/** Why the launcher or a helper bound into sandboxes (exec helper, gateway link) cannot be trusted, or null. */
export function launcherFilesProblem(): string | null {
  return (
    launcherProblem() ??
    launcherProblem(execHelperPath(), "sandbox exec helper") ??
    launcherProblem(gatewayLinkPath(), "package gateway link") ??
    launcherProblem(appLinkPath(), "app link")
  );
}
