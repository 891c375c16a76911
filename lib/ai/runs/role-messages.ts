import { describeApiContract, describePlan, type Plan } from "../plan";
import { systemPrompt } from "../roles";
import type { ChatMessage, RoleName } from "../types";
import type { WorkingTree } from "./working-tree";

/**
 * What each role reads (docs/architecture.md#a-generation-run), as chat messages. The system prompt
 * is the role's prose (lib/ai/roles); the user message carries the request
 * and the material the role works from.
 */

/** Beyond this many characters of file content, roles see paths and sizes only. */
const MAX_CONTEXT_CHARS = 150_000;
/** Command output shown to the fixer, from the end (where errors usually are). */
const MAX_COMMAND_OUTPUT_CHARS = 12_000;

function section(title: string, body: string): string {
  return `## ${title}\n\n${body.trim()}`;
}

function request(prompt: string): string {
  return section("The user's request", prompt);
}

/** The files with their content, as long as they fit; the rest as a listing. */
export function describeFiles(tree: WorkingTree, maxChars = MAX_CONTEXT_CHARS): string {
  const files = tree.list();
  if (files.length === 0) return "(the project has no files yet)";
  let used = 0;
  const shown: string[] = [];
  const listed: string[] = [];
  for (const f of files) {
    if (used + f.content.length <= maxChars) {
      used += f.content.length;
      shown.push(`<file path="${f.path}">\n${f.content}\n</file>`);
    } else {
      listed.push(`- ${f.path} (${f.content.length} characters, not shown)`);
    }
  }
  return [...shown, ...(listed.length ? ["Files not shown for length:", ...listed] : [])].join("\n\n");
}

function filesFor(plan: Plan, role: "backend" | "frontend"): string {
  const mine = plan.files.filter((f) => f.role === role);
  if (mine.length === 0) return "The plan does not say which files are yours: write the ones that belong to your part.";
  return mine.map((f) => `- ${f.path}${f.purpose ? `: ${f.purpose}` : ""}`).join("\n");
}

const messages = (role: RoleName, user: string): ChatMessage[] => [
  { role: "system", content: systemPrompt(role) },
  { role: "user", content: user },
];

export function architectMessages(prompt: string, existing: WorkingTree): ChatMessage[] {
  const parts = [request(prompt)];
  if (existing.paths().length > 0) {
    parts.push(section("Files the project already has", existing.paths().map((p) => `- ${p}`).join("\n")));
  }
  return messages("architect", parts.join("\n\n"));
}

export function builderMessages(role: "backend" | "frontend", prompt: string, plan: Plan, tree: WorkingTree): ChatMessage[] {
  const parts = [
    request(prompt),
    section("The plan", describePlan(plan)),
    section("The API contract (both the backend and the frontend build against exactly this)", describeApiContract(plan)),
    section("Your files", filesFor(plan, role)),
  ];
  if (tree.paths().length > 0) parts.push(existingFiles(tree));
  return messages(role, parts.join("\n\n"));
}

/** A project's files, with the rule that keeps changes to them cheap: edit what exists, write whole only what is new. */
function existingFiles(tree: WorkingTree): string {
  return section(
    "The project's files so far",
    `${describeFiles(tree)}\n\nThese files exist already. To change part of one, use <edit> with a search text copied from it; write a whole <file> only for a new file or one whose content changes almost entirely.`,
  );
}

export function devopsMessages(prompt: string, plan: Plan, tree: WorkingTree): ChatMessage[] {
  return messages(
    "devops",
    [request(prompt), section("The plan", describePlan(plan)), existingFiles(tree)].join("\n\n"),
  );
}

export function securityMessages(prompt: string, plan: Plan, tree: WorkingTree, findings: string[]): ChatMessage[] {
  return messages(
    "security",
    [
      request(prompt),
      section("The plan", describePlan(plan)),
      section("Findings of the automatic checks", findings.length ? findings.map((f) => `- ${f}`).join("\n") : "(none)"),
      existingFiles(tree),
    ].join("\n\n"),
  );
}

export function testerMessages(prompt: string, plan: Plan, tree: WorkingTree): ChatMessage[] {
  return messages(
    "tester",
    [request(prompt), section("The plan", describePlan(plan)), section("The project's files", describeFiles(tree))].join("\n\n"),
  );
}

export interface CommandFailure {
  command: string;
  exitCode: number | null;
  status: string;
  output: string;
}

export function fixerMessages(prompt: string, plan: Plan | null, tree: WorkingTree, failure: CommandFailure): ChatMessage[] {
  const output =
    failure.output.length > MAX_COMMAND_OUTPUT_CHARS
      ? `…(earlier output cut)\n${failure.output.slice(-MAX_COMMAND_OUTPUT_CHARS)}`
      : failure.output;
  return messages(
    "fixer",
    [
      request(prompt),
      section(
        "The failing command",
        `$ ${failure.command}\nexit code: ${failure.exitCode ?? "none"} (status ${failure.status})\n\n${output || "(no output)"}`,
      ),
      ...(plan ? [section("The plan", describePlan(plan))] : []),
      existingFiles(tree),
    ].join("\n\n"),
  );
}

export interface FailedEdit {
  path: string;
  message: string;
}

/** The one retry after edits that did not apply: what failed, and the files as they are now. */
export function editRetryMessage(failed: FailedEdit[], tree: WorkingTree): string {
  const lines = failed.map((f) => `- ${f.path}: ${f.message}`);
  const paths = [...new Set(failed.map((f) => f.path))].filter((p) => tree.has(p));
  const current = paths.map((p) => `<file path="${p}">\n${tree.get(p)}\n</file>`);
  return [
    "Some of your edits could not be applied:",
    lines.join("\n"),
    current.length ? `The files as they are now:\n\n${current.join("\n\n")}` : "",
    "Send corrected edits for these changes only (copy the search text exactly from the files above), or a whole <file> when the file does not exist yet. Everything else you wrote has been applied.",
  ]
    .filter(Boolean)
    .join("\n\n");
}

/** The one retry after a builder left out files the plan gave it. */
export function missingFilesMessage(missing: string[]): string {
  return [
    `The plan gives you these files, and your answer did not write them: ${missing.join(", ")}.`,
    "Write each of them now as a whole <file path=\"…\">…</file> (nothing else needs repeating: everything you wrote has been kept).",
  ].join("\n\n");
}
