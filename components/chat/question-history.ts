/**
 * The chat's questions and answers (not its change requests, which the server keeps), per project for
 * the browser tab's session (sessionStorage), bounded.
 */

export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
  /** Set on assistant turns once finished. */
  meta?: string;
  /** When it was said (ms since the epoch), to place it among the project's changes; 0 for turns kept before it was recorded. */
  at?: number;
}

/** The server accepts at most 40 messages and 100 KB of conversation; keep well within both. */
export const MAX_TURNS = 30;
const MAX_CHARS = 60_000;

const storageKey = (projectId: string) => `autocrea:chat:${projectId}`;

export function boundHistory(turns: ChatTurn[]): ChatTurn[] {
  let kept = turns.slice(-MAX_TURNS);
  while (kept.length > 1 && kept.reduce((n, t) => n + t.content.length, 0) > MAX_CHARS) kept = kept.slice(1);
  // The conversation sent must start with the user's turn.
  while (kept.length > 0 && kept[0].role !== "user") kept = kept.slice(1);
  return kept;
}

export function loadHistory(projectId: string): ChatTurn[] {
  try {
    const raw = sessionStorage.getItem(storageKey(projectId));
    const parsed = raw ? (JSON.parse(raw) as unknown) : [];
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (t): t is ChatTurn => typeof t === "object" && t !== null && (t.role === "user" || t.role === "assistant") && typeof t.content === "string",
    );
  } catch {
    return [];
  }
}

export function saveHistory(projectId: string, turns: ChatTurn[]): void {
  try {
    if (turns.length === 0) sessionStorage.removeItem(storageKey(projectId));
    else sessionStorage.setItem(storageKey(projectId), JSON.stringify(turns));
  } catch {
    // storage full or disabled: the conversation lives in memory only
  }
}
