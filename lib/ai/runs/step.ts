import { annotateLogContext } from "@/lib/log";
import { isStoreError } from "@/lib/store/types";
import { CallFailedError } from "../call";
import { applyEdit, isWastefulRewrite } from "../edits";
import { failureSentence, providerName } from "../provider-failures";
import { createProtocolParser } from "../protocol";
import type { CallAttempt, ChatMessage, ProtocolEvent, ProtocolParser, RoleName } from "../types";
import { editRetryMessage, missingFilesMessage, type FailedEdit } from "./role-messages";
import type { RunScope } from "./run-scope";
import { WorkingTree } from "./working-tree";

/**
 * One role step (one generation row): any number of model calls, each
 * streamed and charged attempt by attempt, with the output applied to the
 * working tree as it arrives.
 */

export type StepStatus = "succeeded" | "failed" | "canceled";

export interface CallOutcome {
  ok: boolean;
  /** The text of the attempt that finished (or of the last one, when every attempt failed). */
  text: string;
  /** The finished attempt's finish reason ("stop": the answer ended normally). */
  finishReason?: string;
  /** Set when !ok: why. */
  error?: string;
  aborted?: boolean;
}

/** Progress events while a model writes: the first token, then at most this often. */
const PROGRESS_INTERVAL_MS = 1_000;

export class RoleStep {
  inputTokens = 0;
  outputTokens = 0;
  /** Characters streamed by every call of the step so far. */
  outputChars = 0;
  credits = 0;
  /** Some usage was not reported by the provider but estimated from characters (docs/runs.md#credits). */
  usageEstimated = false;
  private provider: string;
  private model: string;

  private constructor(
    readonly ctx: RunScope,
    readonly role: RoleName,
    readonly stepId: string,
  ) {
    this.provider = ctx.candidates[0]?.provider ?? "";
    this.model = ctx.candidates[0]?.model ?? "";
  }

  static async start(ctx: RunScope, role: RoleName): Promise<RoleStep> {
    // The run goes on in the context of the request that started it: its log entries name the run.
    annotateLogContext({ runId: ctx.runId });
    const first = ctx.candidates[0];
    const row = await ctx.store.startGenerationStep(ctx.userId, {
      projectId: ctx.projectId,
      runId: ctx.runId,
      role,
      model: first?.model,
      provider: first?.provider,
    });
    await ctx.emit({ type: "step_started", stepId: row.id, role, model: first?.model ?? "", provider: first?.provider ?? "" });
    return new RoleStep(ctx, role, row.id);
  }

  /**
   * Streams one completion; `onText` sees every chunk, `onAttemptFailed` is
   * told when a provider failed and the next one starts over. Never throws
   * for provider failures: they come back as `{ ok: false }`.
   */
  async call(
    messages: ChatMessage[],
    handlers: { onText?: (text: string) => Promise<void>; onAttemptFailed?: () => Promise<void> } = {},
  ): Promise<CallOutcome> {
    let text = "";
    let lastProgressAt = -Infinity;
    let finishReason: string | undefined;
    let failedProviders = 0;
    try {
      for await (const event of this.ctx.stream({
        candidates: this.ctx.candidates,
        messages,
        maxOutputTokens: this.ctx.meter.maxOutputTokens(messages),
        timeoutMs: this.ctx.timeoutMs,
        signal: this.ctx.signal,
        userId: this.ctx.userId,
      })) {
        if (event.type === "text") {
          text += event.text;
          this.outputChars += event.text.length;
          if (performance.now() - lastProgressAt >= PROGRESS_INTERVAL_MS) {
            lastProgressAt = performance.now();
            await this.ctx.emit({ type: "step_progress", stepId: this.stepId, role: this.role, outputChars: this.outputChars });
          }
          await handlers.onText?.(event.text);
          continue;
        }
        await this.charge(event.attempt);
        if (event.type === "finish") finishReason = event.attempt.finishReason;
        else if (event.type === "retry") {
          await this.ctx.emit({ type: "log", role: this.role, level: "warn", message: event.message });
        } else if (event.type === "attempt_failed" && event.attempt.error !== "aborted") {
          failedProviders++;
          const next = failedProviders < this.ctx.candidates.length ? "trying the next provider" : "there is no other provider to try";
          await this.ctx.emit({
            type: "log",
            role: this.role,
            level: "warn",
            message: `${providerName(event.attempt.provider)} ${failureSentence(event.attempt.error)}; ${next}.`,
          });
          text = "";
          await handlers.onAttemptFailed?.();
        }
      }
      return { ok: true, text, finishReason };
    } catch (err) {
      if (err instanceof CallFailedError) return { ok: false, text, error: err.message, aborted: err.aborted };
      throw err;
    }
  }

  private async charge(attempt: CallAttempt): Promise<void> {
    this.inputTokens += attempt.usage.inputTokens;
    this.outputTokens += attempt.usage.outputTokens;
    if (attempt.usageEstimated) this.usageEstimated = true;
    this.provider = attempt.provider;
    this.model = attempt.model;
    this.credits += await this.ctx.meter.charge(attempt);
  }

  async finish(status: StepStatus | "skipped", details: { output?: string; error?: string | null; reason?: string } = {}) {
    await this.ctx.store.finishGenerationStep(this.ctx.userId, this.stepId, {
      status,
      output: (details.output ?? details.reason ?? "").slice(0, 20_000),
      model: this.model,
      provider: this.provider,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      credits: this.credits,
      error: details.error ?? null,
    });
    if (this.inputTokens + this.outputTokens > 0) {
      await this.ctx.store.recordAiRequest({
        userId: this.ctx.userId,
        projectId: this.ctx.projectId,
        kind: "generate",
        model: this.model,
        tokens: this.inputTokens + this.outputTokens,
        credits: this.credits,
      });
    }
    await this.ctx.emit({
      type: "step_finished",
      stepId: this.stepId,
      role: this.role,
      status,
      credits: this.credits,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      ...(details.error ? { error: details.error } : {}),
      ...(details.reason ? { reason: details.reason } : {}),
      ...(this.usageEstimated ? { usageEstimated: true } : {}),
    });
  }
}

export interface FileStepResult {
  status: StepStatus;
  /** The role's explanation (text outside tags). */
  explanation: string;
  commands: string[];
  error?: string;
}

/** Recorded as the step's output: what the role said, bounded. */
const MAX_EXPLANATION_CHARS = 20_000;

/**
 * A role that writes files with the output protocol. Edits that fail (no
 * match, several matches, unknown file) are sent back to the role ONCE with
 * the reason and the current content of those files.
 */
export interface FileStepOptions {
  /** Files the plan gives this role: any it leaves out are asked for once more, by name. */
  expectFiles?: string[];
}

export async function runFileStep(
  ctx: RunScope,
  role: RoleName,
  messages: ChatMessage[],
  options: FileStepOptions = {},
): Promise<FileStepResult> {
  if (ctx.signal.aborted) return { status: "canceled", explanation: "", commands: [], error: ctx.stopReason() };
  const step = await RoleStep.start(ctx, role);
  // The step is recorded either way; when not even a short answer is affordable it ends canceled at the cap.
  if (!ctx.meter.canAfford(messages)) ctx.meter.stopAtCap();
  if (ctx.signal.aborted) {
    await step.finish("canceled", { error: ctx.stopReason() });
    return { status: "canceled", explanation: "", commands: [], error: ctx.stopReason() };
  }
  const applier = new OutputApplier(ctx, role);

  let outcome = await applier.stream(step, messages);
  if (outcome.ok && applier.failedEdits.length > 0) {
    const failed = applier.takeFailedEdits();
    await ctx.emit({
      type: "log",
      role,
      level: "warn",
      message: `${failed.length} edit${failed.length === 1 ? "" : "s"} did not apply; asking ${role} once more.`,
    });
    outcome = await applier.stream(step, [
      ...messages,
      { role: "assistant", content: outcome.text },
      { role: "user", content: editRetryMessage(failed, ctx.tree) },
    ]);
  }

  const missing = (options.expectFiles ?? []).filter((p) => !ctx.tree.has(p));
  if (outcome.ok && missing.length > 0 && !ctx.signal.aborted) {
    await ctx.emit({
      type: "log",
      role,
      level: "warn",
      message: `${role} did not write ${missing.join(", ")}, which the plan gives it; asking once more.`,
    });
    outcome = await applier.stream(step, [
      ...messages,
      { role: "assistant", content: outcome.text },
      { role: "user", content: missingFilesMessage(missing) },
    ]);
  }

  const explanation = applier.explanation.trim().slice(0, MAX_EXPLANATION_CHARS);
  if (!outcome.ok) {
    const status: StepStatus = outcome.aborted ? "canceled" : "failed";
    const error = outcome.aborted ? ctx.stopReason() : outcome.error;
    await step.finish(status, { output: explanation, error });
    return { status, explanation, commands: applier.commands, error };
  }
  const unapplied = applier.failedEdits;
  const error = unapplied.length
    ? `Edits still not applied after the retry: ${unapplied.map((f) => `${f.path} (${f.message})`).join("; ")}`
    : undefined;
  if (error) await ctx.emit({ type: "log", role, level: "error", message: error });
  await step.finish("succeeded", { output: explanation, error });
  return { status: "succeeded", explanation, commands: applier.commands };
}

/** Feeds a role's streamed output through the protocol parser into the working tree, emitting events as it goes. */
class OutputApplier {
  explanation = "";
  commands: string[] = [];
  failedEdits: FailedEdit[] = [];

  constructor(
    private readonly ctx: RunScope,
    private readonly role: RoleName,
  ) {}

  takeFailedEdits(): FailedEdit[] {
    const failed = this.failedEdits;
    this.failedEdits = [];
    return failed;
  }

  async stream(step: RoleStep, messages: ChatMessage[]): Promise<CallOutcome> {
    let parser: ProtocolParser = createProtocolParser();
    const outcome = await step.call(messages, {
      onText: async (text) => {
        for (const event of parser.push(text)) await this.apply(event);
      },
      // A new attempt starts its answer over: what the failed one closed is kept, its open tag is dropped.
      onAttemptFailed: async () => {
        parser.end();
        parser = createProtocolParser();
      },
    });
    // An unclosed last file is kept only when the answer ended normally, not when it was cut.
    for (const event of parser.end({ complete: outcome.ok && outcome.finishReason === "stop" })) {
      // An unclosed tag at the end of a failed call is the cut itself, not news.
      if (!outcome.ok && event.type === "error") continue;
      await this.apply(event);
    }
    return outcome;
  }

  private async apply(event: ProtocolEvent): Promise<void> {
    const { ctx, role } = this;
    switch (event.type) {
      case "text":
        this.explanation += event.text;
        return;
      case "command":
        this.commands.push(event.command.trim());
        return;
      case "error":
        await ctx.emit({ type: "log", role, level: "warn", message: `Output not understood: ${event.message}` });
        return;
      case "repair":
        await ctx.emit({ type: "log", role, level: "warn", message: event.message });
        return;
    }
    let path: string;
    try {
      path = WorkingTree.normalize(event.path);
    } catch (err) {
      if (!isStoreError(err)) throw err;
      if (event.type === "file_open") return; // reported once, when the tag closes
      await ctx.emit({ type: "log", role, level: "warn", message: `Refused ${event.type} of ${JSON.stringify(event.path)}: ${err.message}` });
      return;
    }
    switch (event.type) {
      case "file_open":
        await ctx.emit({ type: "file_started", role, path });
        return;
      case "file": {
        const previous = ctx.tree.get(path);
        if (previous !== undefined && isWastefulRewrite(previous, event.content)) {
          await ctx.emit({
            type: "log",
            role,
            level: "warn",
            message: `${path} was rewritten whole for a small change; an <edit> would have cost less.`,
          });
        }
        ctx.tree.write(path, event.content);
        await ctx.emit({ type: "file_written", role, path, size: new TextEncoder().encode(event.content).length });
        return;
      }
      case "edit": {
        const current = ctx.tree.get(path);
        if (current === undefined) {
          this.failedEdits.push({ path, message: "the file does not exist" });
          return;
        }
        const result = applyEdit(current, event.search, event.replace);
        if (result.ok) {
          ctx.tree.write(path, result.content);
          await ctx.emit({ type: "file_edited", role, path });
        } else if (current.includes(event.replace) && !current.includes(event.search)) {
          // The same edit from an earlier attempt of this call (a provider fell over mid-answer) already applied.
          return;
        } else {
          this.failedEdits.push({ path, message: result.message });
        }
        return;
      }
      case "delete":
        if (ctx.tree.delete(path)) await ctx.emit({ type: "file_deleted", role, path });
        return;
    }
  }
}
