/** Which files differ between two versions (by content). Pure. */

export type ChangeKind = "added" | "removed" | "modified";

export interface FileChange {
  path: string;
  kind: ChangeKind;
  /** Content in the older (selected) version; "" when added. */
  before: string;
  /** Content now; "" when removed. */
  after: string;
}

export function diffFileSets(
  before: Array<{ path: string; content: string }>,
  after: Array<{ path: string; content: string }>,
): FileChange[] {
  const old = new Map(before.map((f) => [f.path, f.content]));
  const now = new Map(after.map((f) => [f.path, f.content]));
  const changes: FileChange[] = [];
  for (const path of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(path);
    const b = now.get(path);
    if (a === undefined) changes.push({ path, kind: "added", before: "", after: b! });
    else if (b === undefined) changes.push({ path, kind: "removed", before: a, after: "" });
    else if (a !== b) changes.push({ path, kind: "modified", before: a, after: b });
  }
  return changes;
}
