import type { RunnerClient } from "@/lib/sandbox/client";
import { PROJECT_COMMAND_LIMITS } from "@/lib/sandbox/limits";
import { obtainPlan, type Plan } from "../plan";
import type { RoleName, RunIssue } from "../types";
import { automaticFindings } from "./audit-rules";
import {
  architectMessages,
  builderMessages,
  devopsMessages,
  fixerMessages,
  securityMessages,
  testerMessages,
  type CommandFailure,
} from "./role-messages";
import type { RunScope } from "./run-scope";
import { RoleStep, runFileStep, type FileStepResult } from "./step";
import { testsExecuted } from "./test-count";

/**
 * The role DAG of one run (docs/runs.md, docs/architecture.md#a-generation-run):
 *
 *   architect → (backend ∥ frontend) → devops → security → tester → fixer loop
 *
 * Each step streams, writes into the run's working tree and emits events as
 * it goes. The DAG stops at the first failed step, on cancel and at the
 * reservation's cap; what was produced until then stays in the tree, which
 * the caller (lib/ai/runs/execute.ts) saves whatever the outcome.
 */

/** How many times the fixer may try after a failing command. */
export const MAX_FIXER_PASSES = 2;

export const NO_RUNNER_REASON =
  "No code runner is configured (RUNNER_URL and RUNNER_SECRET are unset), so the project's tests were not run.";

/**
 * `completed` means the DAG went to its end; `issues` lists what keeps it from being a clean
 * completion (the run then ends `completed_with_issues`): planned files never written, checks
 * that failed after the fixer's passes, or that never ran a test.
 */
export type DagOutcome = { status: "completed"; issues: RunIssue[] } | { status: "failed" | "canceled"; error: string };

/** Command output kept in an issue: its end, where errors usually are. */
const MAX_ISSUE_DETAIL_CHARS = 4_000;

/** The steps a run is expected to take, for the estimate. */
export function plannedRoles(hasRunner: boolean, maxFixerPasses = MAX_FIXER_PASSES): RoleName[] {
  const roles: RoleName[] = ["architect", "backend", "frontend", "devops", "security"];
  if (hasRunner) roles.push("tester", ...Array<RoleName>(maxFixerPasses).fill("fixer"));
  return roles;
}

class StepFailed extends Error {
  constructor(
    readonly role: RoleName,
    readonly status: "failed" | "canceled",
    message: string,
  ) {
    super(message);
  }
}

export function check(role: RoleName, result: FileStepResult): void {
  if (result.status !== "succeeded") {
    throw new StepFailed(role, result.status, result.error ?? `The ${role} step ${result.status}.`);
  }
}

export interface DagOptions {
  prompt: string;
  maxFixerPasses?: number;
}

/**
 * Runs `body` (a DAG's steps), turning a step that failed or was stopped into the run's outcome;
 * what `body` returns are the issues of a DAG that went to its end.
 */
export async function dagOutcome(ctx: RunScope, body: () => Promise<RunIssue[]>): Promise<DagOutcome> {
  try {
    const issues = await body();
    for (const issue of issues) await ctx.emit({ type: "log", level: "error", message: `Not completed: ${issue.summary}` });
    return { status: "completed", issues };
  } catch (err) {
    if (err instanceof StepFailed) {
      const stopped = ctx.signal.aborted;
      return { status: stopped && isUserCancel(ctx) ? "canceled" : "failed", error: stopped ? ctx.stopReason() : err.message };
    }
    throw err;
  }
}

export async function runDag(ctx: RunScope, options: DagOptions): Promise<DagOutcome> {
  const { prompt } = options;
  return dagOutcome(ctx, async () => {
    const plan = await architect(ctx, prompt);

    const [backend, frontend] = await Promise.all([
      runFileStep(ctx, "backend", builderMessages("backend", prompt, plan, ctx.tree), { expectFiles: plannedFiles(plan, "backend") }),
      runFileStep(ctx, "frontend", builderMessages("frontend", prompt, plan, ctx.tree), { expectFiles: plannedFiles(plan, "frontend") }),
    ]);
    check("backend", backend);
    check("frontend", frontend);

    guard(ctx, "devops");
    check("devops", await runFileStep(ctx, "devops", devopsMessages(prompt, plan, ctx.tree), { expectFiles: plannedFiles(plan, "devops") }));

    guard(ctx, "security");
    const findings = automaticFindings(ctx.tree);
    for (const finding of findings) await ctx.emit({ type: "log", role: "security", level: "warn", message: finding });
    check("security", await runFileStep(ctx, "security", securityMessages(prompt, plan, ctx.tree, findings)));

    const issues: RunIssue[] = [];
    const missing = plan.files.map((f) => f.path).filter((p) => !ctx.tree.has(p));
    if (missing.length > 0) {
      issues.push({ summary: `${missing.length === 1 ? "A planned file was" : `${missing.length} planned files were`} never written: ${missing.join(", ")}.` });
    }

    // Without a runner the tester is only recorded as skipped, which costs nothing: a cap reached by the last model step is not a failure.
    if (ctx.runner) guard(ctx, "tester");
    issues.push(...(await testAndFix(ctx, prompt, plan, options.maxFixerPasses ?? MAX_FIXER_PASSES)));
    return issues;
  });
}

/** A stop by the user ends the run `canceled`; reaching the cap or the run's deadline ends it `failed`. */
function isUserCancel(ctx: RunScope): boolean {
  return !ctx.meter.isExhausted && ctx.signal.reason !== "cap" && ctx.signal.reason !== "deadline";
}

/** Between steps: stop once canceled, at the cap or past the run's deadline. */
export function guard(ctx: RunScope, role: RoleName): void {
  if (ctx.signal.aborted) throw new StepFailed(role, "canceled", ctx.stopReason());
}

async function architect(ctx: RunScope, prompt: string): Promise<Plan> {
  guard(ctx, "architect");
  const messages = architectMessages(prompt, ctx.tree);
  const step = await RoleStep.start(ctx, "architect");
  if (!ctx.meter.canAfford(messages)) ctx.meter.stopAtCap();
  if (ctx.signal.aborted) {
    await step.finish("canceled", { error: ctx.stopReason() });
    throw new StepFailed("architect", "canceled", ctx.stopReason());
  }
  let result: Awaited<ReturnType<typeof obtainPlan>>;
  try {
    result = await obtainPlan(async (conversation) => {
      const outcome = await step.call(conversation);
      if (outcome.ok) return outcome.text;
      throw new StepFailed("architect", outcome.aborted ? "canceled" : "failed", outcome.error ?? "The call failed.");
    }, messages);
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    const error = err.status === "canceled" ? ctx.stopReason() : err.message;
    await step.finish(err.status, { error });
    throw new StepFailed("architect", err.status, error);
  }
  if (!result.ok) {
    const error = `The architect's plan was not valid, even after one repair: ${result.error}`;
    await step.finish("failed", { error });
    throw new StepFailed("architect", "failed", error);
  }
  const plan = result.plan;
  await step.finish("succeeded", { output: JSON.stringify(plan) });
  await ctx.emit({
    type: "log",
    role: "architect",
    level: "info",
    message: `Plan: ${plan.name}, ${plan.files.length} files, ${plan.api.length} endpoints${result.attempts > 1 ? " (after one repair)" : ""}.`,
  });
  return plan;
}

async function skipStep(ctx: RunScope, role: RoleName, reason: string): Promise<void> {
  const step = await RoleStep.start(ctx, role);
  await step.finish("skipped", { reason });
}

/** The files the plan gives `role`. */
function plannedFiles(plan: Plan, role: "backend" | "frontend" | "devops"): string[] {
  return plan.files.filter((f) => f.role === role).map((f) => f.path);
}

function tail(output: string): string {
  return output.length > MAX_ISSUE_DETAIL_CHARS ? `…${output.slice(-MAX_ISSUE_DETAIL_CHARS)}` : output;
}

/** Runs the tester's checks with the fixer loop; returns what kept them from passing with ≥ 1 test executed. */
async function testAndFix(ctx: RunScope, prompt: string, plan: Plan, maxFixerPasses: number): Promise<RunIssue[]> {
  if (!ctx.runner) {
    await skipStep(ctx, "tester", NO_RUNNER_REASON);
    return [{ summary: NO_RUNNER_REASON }];
  }
  const tester = await runFileStep(ctx, "tester", testerMessages(prompt, plan, ctx.tree));
  check("tester", tester);
  if (tester.commands.length === 0) {
    return [{ summary: "The tester gave no command to run, so nothing was checked." }];
  }
  return runChecksWithFixer(ctx, ctx.runner, tester.commands, prompt, plan, maxFixerPasses);
}

/**
 * Runs the checks in a fresh runner session, with up to `maxFixerPasses` fixer passes on a failure;
 * returns what kept them from passing with ≥ 1 test executed. `plan`: none for a change request.
 */
export async function runChecksWithFixer(
  ctx: RunScope,
  runner: RunnerClient,
  commands: string[],
  prompt: string,
  plan: Plan | null,
  maxFixerPasses: number,
): Promise<RunIssue[]> {
  let session: { id: string };
  try {
    session = await runner.createSession({ userId: ctx.userId });
  } catch (err) {
    guard(ctx, "tester");
    return [{ summary: `The checks did not run: the code runner is unavailable (${messageOf(err)}).` }];
  }
  try {
    let synced = new Map<string, string>();
    const sync = async () => {
      const { files, deletes } = ctx.tree.diff(synced);
      if (files.length || deletes.length) await runner.writeFiles(session.id, files, deletes, { signal: ctx.signal });
      synced = ctx.tree.snapshot();
    };

    for (let pass = 0; ; pass++) {
      guard(ctx, "tester");
      await sync();
      const { failure, testsRun } = await runCommands(ctx, runner, session.id, commands);
      // A stop while a command ran aborts it (runCommand rejects; the runner kills it); one just after takes effect here.
      guard(ctx, "tester");
      if (!failure) {
        if (testsRun === null) {
          return [{ summary: "The checks passed, but none of them ran a test (no test runner reported how many tests it ran)." }];
        }
        await ctx.emit({ type: "log", role: "tester", level: "info", message: `Every check passed (${testsRun} test${testsRun === 1 ? "" : "s"} ran).` });
        return [];
      }
      if (pass >= maxFixerPasses) {
        const passes = `${maxFixerPasses} fixer pass${maxFixerPasses === 1 ? "" : "es"}`;
        return [
          {
            summary: failure.noTests
              ? `"${failure.command}" still runs no test after ${passes}.`
              : `"${failure.command}" still fails after ${passes} (exit ${failure.exitCode ?? "none"}, ${failure.status}).`,
            detail: tail(failure.output),
          },
        ];
      }
      check("fixer", await runFileStep(ctx, "fixer", fixerMessages(prompt, plan, ctx.tree, failure)));
    }
  } catch (err) {
    if (err instanceof StepFailed) throw err;
    guard(ctx, "tester");
    return [{ summary: `Running the checks failed: ${messageOf(err)}` }];
  } finally {
    await runner.deleteSession(session.id).catch(() => {});
  }
}

/**
 * Runs the commands in order; the first that fails is returned with its output. A test runner that
 * passed having executed 0 tests (node --test with no test file exits 0) is a failure too.
 * `testsRun`: the tests the passing commands' runners reported, null when none reported any.
 */
async function runCommands(
  ctx: RunScope,
  runner: RunnerClient,
  sessionId: string,
  commands: string[],
): Promise<{ failure: (CommandFailure & { noTests?: boolean }) | null; testsRun: number | null }> {
  let testsRun: number | null = null;
  for (const command of commands) {
    guard(ctx, "tester");
    const result = await runner.runCommand(sessionId, { command, limits: PROJECT_COMMAND_LIMITS }, { signal: ctx.signal });
    const ok = result.status === "OK" && result.exitCode === 0;
    await ctx.emit({
      type: "log",
      role: "tester",
      level: ok ? "info" : "warn",
      message: `$ ${command} → ${ok ? "ok" : `failed (exit ${result.exitCode ?? "none"}, ${result.status})`} in ${result.wallMs} ms`,
    });
    const output = [result.stdout, result.stderr].filter(Boolean).join("\n");
    if (!ok) return { failure: { command, exitCode: result.exitCode, status: result.status, output }, testsRun };
    const tests = testsExecuted(output);
    if (tests === 0) {
      await ctx.emit({ type: "log", role: "tester", level: "warn", message: `$ ${command} ran 0 tests.` });
      const note = "The test runner exited successfully but executed 0 tests: no test file was found or every test was skipped.";
      return { failure: { command, exitCode: result.exitCode, status: result.status, output: `${output}\n${note}`, noTests: true }, testsRun };
    }
    if (tests !== null) testsRun = (testsRun ?? 0) + tests;
  }
  return { failure: null, testsRun };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
