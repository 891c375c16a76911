import { runSecurityChecks } from "../security-checks";
import type { WorkingTree } from "./working-tree";

/** The deterministic checks (lib/ai/security-checks) over the tree, one line per finding, for events and the reviewer. */
export function automaticFindings(tree: WorkingTree): string[] {
  return runSecurityChecks(tree.list()).map(
    (f) => `${f.path}${f.line ? `:${f.line}` : ""} [${f.rule}] ${f.message}`,
  );
}
