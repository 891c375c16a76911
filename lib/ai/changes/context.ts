import { systemPrompt } from "../roles";
import type { ChatMessage } from "../types";
import type { WorkingTree } from "../runs/working-tree";
import type { ChangeRequest } from "./dag";

/**
 * What the editor of a change request reads: the request, what the project is, every path, and the
 * content of only the files the request is about — so a change is priced by what it touches, not by
 * the size of the project.
 *
 * Relevance is lexical and cheap: the request's words, each weighted by how few files contain it
 * (a word every file has, like "todo" in a todo app, says little), scored against each file's path
 * (strongly) and content. Files scoring at least a third of the best are shown, best first, within
 * the budget; the manifest is shown when it fits (scripts and dependencies).
 */

/** Characters of file content the editor is shown at most. */
export const CHANGE_CONTEXT_CHARS = 40_000;

const STOP_WORDS = new Set(
  "a an and are as at be but by can do does each every for from has have how i in into is it its make makes me my of on or please so some that the their them then there these this to too use we when where which while with would you your add adds added change changes remove removes show shows should want need all also new".split(
    " ",
  ),
);

const MANIFESTS = ["package.json", "requirements.txt", "pyproject.toml"];
/** Files never worth showing for their content. */
const NOT_SHOWN = /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock)$/;

/** The request's words that can find files: lower case, 3+ characters, not stop words, plurals folded. */
export function requestTerms(request: string): string[] {
  const words = request.toLowerCase().match(/[a-z][a-z0-9_]{2,}/g) ?? [];
  const terms = new Set<string>();
  for (const word of words) {
    if (STOP_WORDS.has(word)) continue;
    terms.add(word.length > 4 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word);
  }
  return [...terms];
}

function occurrences(haystack: string, needle: string, cap: number): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1 && count < cap; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

export interface ChangeContext {
  /** Files shown whole, most relevant first. */
  shown: { path: string; content: string }[];
  /** Every other file, by path and size. */
  listed: { path: string; size: number }[];
}

export function selectChangeContext(tree: WorkingTree, request: string, budgetChars = CHANGE_CONTEXT_CHARS): ChangeContext {
  const files = tree.list().filter((f) => !NOT_SHOWN.test(f.path));
  const terms = requestTerms(request);
  const lowered = files.map((f) => ({ path: f.path.toLowerCase(), content: f.content.toLowerCase() }));
  const weights = terms.map((term) => {
    const containing = lowered.filter((f) => f.path.includes(term) || f.content.includes(term)).length;
    return containing === 0 ? 0 : Math.log((files.length + 1) / containing);
  });
  const scored = files.map((file, i) => {
    let score = 0;
    terms.forEach((term, t) => {
      if (weights[t] === 0) return;
      const inPath = lowered[i].path.includes(term) ? 5 : 0;
      score += weights[t] * (inPath + Math.min(10, occurrences(lowered[i].content, term, 10)));
    });
    return { file, score };
  });
  const best = Math.max(0, ...scored.map((s) => s.score));
  const chosen = scored
    .filter((s) => best > 0 && s.score >= best / 3)
    .sort((a, b) => b.score - a.score || a.file.path.localeCompare(b.file.path));
  const shown: ChangeContext["shown"] = [];
  let used = 0;
  for (const { file } of chosen) {
    if (used + file.content.length > budgetChars) continue;
    shown.push({ path: file.path, content: file.content });
    used += file.content.length;
  }
  for (const manifest of MANIFESTS) {
    const content = tree.get(manifest);
    if (content !== undefined && !shown.some((f) => f.path === manifest) && used + content.length <= budgetChars) {
      shown.push({ path: manifest, content });
      used += content.length;
    }
  }
  const shownPaths = new Set(shown.map((f) => f.path));
  const listed = tree
    .list()
    .filter((f) => !shownPaths.has(f.path))
    .map((f) => ({ path: f.path, size: new TextEncoder().encode(f.content).length }));
  return { shown, listed };
}

/** The editor's messages for one change request. */
export function editorMessages(change: ChangeRequest, context: ChangeContext): ChatMessage[] {
  const sections = [
    `## The change the user asks for\n\n${change.request.trim()}`,
    ...(change.earlier ? [`## Earlier in this conversation\n\n${change.earlier}\n\nThe files below are as those changes left them.`] : []),
    `## The project\n\n${change.about.trim() || "(no description)"}`,
    `## Its files\n\n${[...context.shown.map((f) => `- ${f.path} (shown below)`), ...context.listed.map((f) => `- ${f.path} (${f.size} bytes, not shown)`)].join("\n")}`,
    `## The files that matter for this change\n\n${
      context.shown.length
        ? context.shown.map((f) => `<file path="${f.path}">\n${f.content}\n</file>`).join("\n\n")
        : "(none matched the request: work from the list above)"
    }\n\nThese files exist already. Change them with <edit>, copying each search text exactly from above; write a whole <file> only for a new file.`,
  ];
  return [
    { role: "system", content: systemPrompt("editor") },
    { role: "user", content: sections.join("\n\n") },
  ];
}

/** Characters the editor's messages carry, for the estimate. */
export function contextChars(messages: ChatMessage[]): number {
  return messages.reduce((n, m) => n + m.content.length, 0);
}
