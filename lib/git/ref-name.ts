/**
 * Branch names the user may push to, by Git's ref-name rules
 * (git-check-ref-format(1)) for `refs/heads/<branch>`, plus `git branch`'s
 * own refusals (a leading "-", the name "HEAD").
 */

export const MAX_BRANCH_NAME_LENGTH = 200;

const FORBIDDEN_CHARS = /[\x00-\x20\x7f~^:?*[\\]/;

/** Why `name` is not a valid branch name, or null when it is. */
export function branchNameProblem(name: string): string | null {
  if (name.length === 0) return "Branch name is empty.";
  if (Buffer.byteLength(name, "utf8") > MAX_BRANCH_NAME_LENGTH)
    return `Branch name is longer than ${MAX_BRANCH_NAME_LENGTH} bytes.`;
  if (FORBIDDEN_CHARS.test(name))
    return "Branch name must not contain spaces, control characters or any of ~ ^ : ? * [ \\.";
  if (name.startsWith("-")) return 'Branch name must not start with "-".';
  if (name === "@" || name === "HEAD") return `"${name}" is not a usable branch name.`;
  if (name.includes("..")) return 'Branch name must not contain "..".';
  if (name.includes("@{")) return 'Branch name must not contain "@{".';
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//"))
    return 'Branch name must not start or end with "/" or contain "//".';
  if (name.endsWith(".")) return 'Branch name must not end with ".".';
  for (const part of name.split("/")) {
    if (part.startsWith(".")) return 'No part of a branch name may start with ".".';
    if (part.endsWith(".lock")) return 'No part of a branch name may end with ".lock".';
  }
  return null;
}

export function isValidBranchName(name: string): boolean {
  return branchNameProblem(name) === null;
}
