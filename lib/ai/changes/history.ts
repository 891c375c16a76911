import type { Id, Run, Store } from "@/lib/store";
import type { ChangeList, ChangeSummary } from "@/lib/workspace/change-summary";
import { closeIfOrphaned } from "../runs/abandoned";

/**
 * A project's change requests as a conversation: listed for the chat (GET /api/projects/:id/changes)
 * and read by the editor of the next change, so "now make it red" knows what "it" was.
 */

/** The chat lists this many of the newest changes; older ones stay in Versions. */
export const CHANGE_LIST_LIMIT = 20;
/** Characters of earlier requests the editor reads word for word; older ones are summarised, one line each. */
export const CONVERSATION_CHARS = 6_000;
/** Of a failing check's output, the end the list carries. */
const ISSUE_DETAIL_CHARS = 4_000;
/** Of a request summarised to one line, its start. */
const SUMMARY_START_CHARS = 120;

export async function listChanges(store: Store, userId: Id, projectId: Id): Promise<ChangeList> {
  const runs = await store.listRuns(userId, projectId, { kind: "change", limit: CHANGE_LIST_LIMIT + 1 });
  const kept = runs.slice(0, CHANGE_LIST_LIMIT).reverse();
  const changes = await Promise.all(kept.map(async (run) => summarize(store, userId, await closeIfOrphaned(store, userId, run))));
  return { changes, more: runs.length > CHANGE_LIST_LIMIT };
}

async function summarize(store: Store, userId: Id, run: Run): Promise<ChangeSummary> {
  const summary: ChangeSummary = {
    runId: run.id,
    request: run.request,
    status: run.status,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    spent: null,
    version: null,
    files: [],
    issues: [],
    error: run.status === "failed" || run.status === "canceled" ? run.error : null,
  };
  const files = new Map<string, ChangeSummary["files"][number]["action"]>();
  for (const { event } of await store.listRunEvents(userId, run.id)) {
    switch (event.type) {
      case "file_written":
        files.set(event.path, files.get(event.path) === "edited" ? "edited" : "written");
        break;
      case "file_edited":
        if (files.get(event.path) !== "written") files.set(event.path, "edited");
        break;
      case "file_deleted":
        files.set(event.path, "deleted");
        break;
      case "done":
        summary.spent = event.spent;
        summary.version = event.version;
        summary.issues = (event.issues ?? []).map((issue) => ({
          summary: issue.summary,
          ...(issue.detail ? { detail: issue.detail.length > ISSUE_DETAIL_CHARS ? `…${issue.detail.slice(-ISSUE_DETAIL_CHARS)}` : issue.detail } : {}),
        }));
        break;
      case "failed":
        summary.spent = event.spent;
        summary.error = event.error;
        break;
    }
  }
  summary.files = [...files].map(([path, action]) => ({ path, action }));
  return summary;
}

function outcome(change: ChangeSummary): string {
  const touched = change.files.length
    ? change.files.map((f) => `${f.action} ${f.path}`).join(", ")
    : "no file changed";
  switch (change.status) {
    case "completed":
      return `${touched}; the checks passed`;
    case "completed_with_issues":
      return `${touched}; not verified: ${change.issues.map((i) => i.summary).join("; ")}`;
    case "failed":
      return `failed (${change.error ?? "no reason given"}); ${touched}`;
    case "canceled":
      return `canceled by the user; ${touched}`;
    case "running":
      return "still running";
  }
}

/**
 * The earlier requests for the editor, oldest first: the newest ones word for word while they fit in
 * CONVERSATION_CHARS, older ones summarised in one line that says so. Never cut mid-request without
 * saying it. null when there were none.
 */
export function conversationSection(list: ChangeList): string | null {
  const earlier = list.changes.filter((c) => c.status !== "running");
  if (earlier.length === 0) return null;
  const full: string[] = [];
  let used = 0;
  let firstFull = earlier.length;
  for (let i = earlier.length - 1; i >= 0; i--) {
    const text = `- The user asked:\n${quote(earlier[i].request)}\n  Result: ${outcome(earlier[i])}.`;
    if (used + text.length > CONVERSATION_CHARS && full.length > 0) break;
    full.unshift(text);
    used += text.length;
    firstFull = i;
  }
  const summarised = earlier.slice(0, firstFull).map((c) => {
    const oneLine = c.request.replace(/\s+/g, " ").trim();
    const start = oneLine.length > SUMMARY_START_CHARS ? `${oneLine.slice(0, SUMMARY_START_CHARS)}… (summarised: ${c.request.length} characters in all)` : oneLine;
    return `- The user asked: "${start}" Result: ${outcome(c)}.`;
  });
  const lines = [
    ...(list.more ? ["(Older requests are not included.)"] : []),
    ...(summarised.length ? ["Earlier requests, summarised:", ...summarised, "", "The most recent requests:"] : []),
    ...full,
  ];
  return lines.join("\n");
}

function quote(text: string): string {
  return text
    .trim()
    .split("\n")
    .map((line) => `  > ${line}`)
    .join("\n");
}
