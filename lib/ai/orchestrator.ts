import type { RunnerClient } from "@/lib/sandbox/client";
import { PROJECT_COMMAND_LIMITS } from "@/lib/sandbox/limits";
import { obtainPlan, type Plan } from "./plan";
import {
  architectMessages,
  builderMessages,
  devopsMessages,
  fixerMessages,
  securityMessages,
  testerMessages,
  type CommandFailure,
} from "./run/context";
import type { RunContext } from "./run/run-context";
import { automaticFindings } from "./run/security";
import { RoleStep, runFileStep, type FileStepResult } from "./run/step";
import type { RoleName } from "./types";

/**
 * The role DAG of one run (DESIGN.md §4):
 *
 *   architect → (backend ∥ frontend) → devops → security → tester → fixer loop
 *
 * Each step streams, writes into the run's working tree and emits events as
 * it goes. The DAG stops at the first failed step, on cancel and at the
 * reservation's cap; what was produced until then stays in the tree, which
 * the caller (lib/ai/run/execute.ts) saves whatever the outcome.
 */

/** How many times the fixer may try after a failing command. */
export const MAX_FIXER_PASSES = 2;

export const NO_RUNNER_REASON =
  "No code runner is configured (RUNNER_URL and RUNNER_SECRET are unset), so the project's tests were not run.";

export type DagOutcome = { status: "completed" } | { status: "failed" | "canceled"; error: string };

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

function check(role: RoleName, result: FileStepResult): void {
  if (result.status !== "succeeded") {
    throw new StepFailed(role, result.status, result.error ?? `The ${role} step ${result.status}.`);
  }
}

export interface DagOptions {
  prompt: string;
  maxFixerPasses?: number;
}

export async function runDag(ctx: RunContext, options: DagOptions): Promise<DagOutcome> {
  const { prompt } = options;
  try {
    const plan = await architect(ctx, prompt);

    const [backend, frontend] = await Promise.all([
      runFileStep(ctx, "backend", builderMessages("backend", prompt, plan, ctx.tree)),
      runFileStep(ctx, "frontend", builderMessages("frontend", prompt, plan, ctx.tree)),
    ]);
    check("backend", backend);
    check("frontend", frontend);

    guard(ctx, "devops");
    check("devops", await runFileStep(ctx, "devops", devopsMessages(prompt, plan, ctx.tree)));

    guard(ctx, "security");
    const findings = automaticFindings(ctx.tree);
    for (const finding of findings) await ctx.emit({ type: "log", role: "security", level: "warn", message: finding });
    check("security", await runFileStep(ctx, "security", securityMessages(prompt, plan, ctx.tree, findings)));

    // Without a runner the tester is only recorded as skipped, which costs nothing: a cap reached by the last model step is not a failure.
    if (ctx.runner) guard(ctx, "tester");
    await testAndFix(ctx, prompt, plan, options.maxFixerPasses ?? MAX_FIXER_PASSES);
    return { status: "completed" };
  } catch (err) {
    if (err instanceof StepFailed) {
      const stopped = ctx.signal.aborted;
      return { status: stopped && isUserCancel(ctx) ? "canceled" : "failed", error: stopped ? ctx.stopReason() : err.message };
    }
    throw err;
  }
}

/** A stop by the user ends the run `canceled`; reaching the cap or the run's deadline ends it `failed`. */
function isUserCancel(ctx: RunContext): boolean {
  return !ctx.meter.isExhausted && ctx.signal.reason !== "cap" && ctx.signal.reason !== "deadline";
}

/** Between steps: stop once canceled, at the cap or past the run's deadline. */
function guard(ctx: RunContext, role: RoleName): void {
  if (ctx.signal.aborted) throw new StepFailed(role, "canceled", ctx.stopReason());
}

async function architect(ctx: RunContext, prompt: string): Promise<Plan> {
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

async function skipStep(ctx: RunContext, role: RoleName, reason: string): Promise<void> {
  const step = await RoleStep.start(ctx, role);
  await step.finish("skipped", { reason });
}

async function testAndFix(ctx: RunContext, prompt: string, plan: Plan, maxFixerPasses: number): Promise<void> {
  if (!ctx.runner) {
    await skipStep(ctx, "tester", NO_RUNNER_REASON);
    return;
  }
  const tester = await runFileStep(ctx, "tester", testerMessages(prompt, plan, ctx.tree));
  check("tester", tester);
  if (tester.commands.length === 0) {
    await ctx.emit({ type: "log", role: "tester", level: "warn", message: "The tester gave no command to run; nothing was checked." });
    return;
  }
  await runCommandsWithFixer(ctx, ctx.runner, tester.commands, prompt, plan, maxFixerPasses);
}

async function runCommandsWithFixer(
  ctx: RunContext,
  runner: RunnerClient,
  commands: string[],
  prompt: string,
  plan: Plan,
  maxFixerPasses: number,
): Promise<void> {
  let session: { id: string };
  try {
    session = await runner.createSession({ userId: ctx.userId });
  } catch (err) {
    guard(ctx, "tester");
    await ctx.emit({ type: "log", role: "tester", level: "error", message: `The code runner is unavailable: ${messageOf(err)}` });
    return;
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
      const failure = await runCommands(ctx, runner, session.id, commands);
      // A stop while a command ran aborts it (runCommand rejects; the runner kills it); one just after takes effect here.
      guard(ctx, "tester");
      if (!failure) {
        await ctx.emit({ type: "log", role: "tester", level: "info", message: "Every check passed." });
        return;
      }
      if (pass >= maxFixerPasses) {
        await ctx.emit({
          type: "log",
          role: "fixer",
          level: "error",
          message: `"${failure.command}" still fails after ${maxFixerPasses} fixer pass${maxFixerPasses === 1 ? "" : "es"}.`,
        });
        return;
      }
      check("fixer", await runFileStep(ctx, "fixer", fixerMessages(prompt, plan, ctx.tree, failure)));
    }
  } catch (err) {
    if (err instanceof StepFailed) throw err;
    guard(ctx, "tester");
    await ctx.emit({ type: "log", role: "tester", level: "error", message: `Running the checks failed: ${messageOf(err)}` });
  } finally {
    await runner.deleteSession(session.id).catch(() => {});
  }
}

/** Runs the commands in order; the first that fails is returned with its output. */
async function runCommands(
  ctx: RunContext,
  runner: RunnerClient,
  sessionId: string,
  commands: string[],
): Promise<CommandFailure | null> {
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
    if (!ok) {
      return {
        command,
        exitCode: result.exitCode,
        status: result.status,
        output: [result.stdout, result.stderr].filter(Boolean).join("\n"),
      };
    }
  }
  return null;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
