import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The real `git` command line for tests, isolated from the machine's and the
 * user's Git config (its own empty HOME, no system config).
 */

const gitHome = mkdtempSync(path.join(tmpdir(), "autocrea-git-home-"));

export const gitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: gitHome,
  XDG_CONFIG_HOME: gitHome,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
  LC_ALL: "C",
};

/** Runs git in `cwd` and returns its stdout; throws (with stderr) when git exits non-zero. */
export function runGit(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** stdout and stderr together, for commands whose warnings go to stderr. */
export function runGitAll(cwd: string, args: string[]): string {
  return execFileSync("sh", ["-c", 'git "$@" 2>&1', "git", ...args], { cwd, env: gitEnv, encoding: "utf8" });
}
