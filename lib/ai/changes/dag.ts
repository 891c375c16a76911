import { check, dagOutcome, guard, MAX_FIXER_PASSES, NO_RUNNER_REASON, runChecksWithFixer, type DagOutcome } from "../runs/pipeline";
import type { RunScope } from "../runs/run-scope";
import { runFileStep } from "../runs/step";
import type { RunIssue } from "../types";
import { checksFor } from "./checks";
import { editorMessages, selectChangeContext } from "./context";

/**
 * A change request (docs/runs.md#a-change-request): one editor step over the files the request is about, then the
 * project's own checks in the sandbox with the fixer loop — verified like a run, at the price of
 * the change.
 */

/** What the editor of a change is told besides the files. */
export interface ChangeRequest {
  request: string;
  /** What the project is (its description and first prompt). */
  about: string;
  /** The project's earlier change requests and their results (./history.ts), if any. */
  earlier?: string | null;
}

export interface ChangeOptions extends ChangeRequest {
  maxFixerPasses?: number;
}

export async function runChange(ctx: RunScope, options: ChangeOptions): Promise<DagOutcome> {
  return dagOutcome(ctx, async () => {
    guard(ctx, "editor");
    const before = ctx.tree.snapshot();
    const context = selectChangeContext(ctx.tree, options.request);
    await ctx.emit({
      type: "log",
      role: "editor",
      level: "info",
      message: `Reading ${context.shown.length} of ${context.shown.length + context.listed.length} files: ${context.shown.map((f) => f.path).join(", ") || "none matched the request"}.`,
    });
    const editor = await runFileStep(ctx, "editor", editorMessages(options, context));
    check("editor", editor);
    const { files, deletes } = ctx.tree.diff(before);
    if (files.length === 0 && deletes.length === 0) {
      const said = editor.explanation.split("\n").find((line) => line.trim())?.trim();
      return [{ summary: `The editor changed no file${said ? `: "${said.slice(0, 300)}"` : "."}` }];
    }
    if (!ctx.runner) return [{ summary: NO_RUNNER_REASON }];
    const commands = checksFor(ctx.tree);
    if (commands.length === 0) return [{ summary: "The project has no checks to run (no test script), so the change was not verified." }];
    guard(ctx, "tester");
    const issues: RunIssue[] = await runChecksWithFixer(ctx, ctx.runner, commands, options.request, null, options.maxFixerPasses ?? MAX_FIXER_PASSES);
    return issues;
  });
}
