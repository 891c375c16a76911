"use client";

import { create } from "zustand";

/**
 * "Ask for a fix": an error seen in the workspace (a run's issues, the app that
 * crashed) becomes a prefilled change request. The button that asks puts the text
 * here; the Run panel switches to its change form, and the form takes the text
 * (once) for the user to read and edit. Nothing starts until "Ask for change".
 */

/** One error to fix: what went wrong, and its output if any. */
export interface FixItem {
  summary: string;
  detail?: string | null;
}

/** The whole request stays well under the change form's limit. */
export const FIX_REQUEST_MAX = 4000;
/** Of each output, the end (where errors are) is kept: at most this many lines. */
export const FIX_DETAIL_LINES = 40;
const SUMMARY_MAX = 300;

/** The end of `text`: its last `lines` lines, within `chars` characters (cut at a line start when possible). */
function tail(text: string, lines: number, chars: number): string {
  const all = text.replace(/\s+$/, "").split("\n");
  let kept = all.slice(-lines).join("\n");
  let cut = all.length > lines;
  if (kept.length > chars) {
    kept = kept.slice(kept.length - chars);
    const newline = kept.indexOf("\n");
    if (newline >= 0 && newline < kept.length - 1) kept = kept.slice(newline + 1);
    cut = true;
  }
  return cut ? `…\n${kept}` : kept;
}

/** A code fence longer than any run of backticks in the text, so output cannot close it. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return "`".repeat(Math.max(3, longest + 1));
}

/**
 * The change request asking to fix `items`: `Fix this: <summary>` for each, and the
 * last lines of its output in a fenced block; at most FIX_REQUEST_MAX characters.
 */
export function buildFixRequest(items: FixItem[]): string {
  const summaries = items.map((item) => {
    const summary = item.summary.trim().replace(/\s+/g, " ") || "an error";
    return `Fix this: ${summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary}`;
  });
  const withDetail = items.filter((item) => item.detail?.trim()).length;
  // What the summaries and the fences take, then the rest shared by the outputs.
  const fixed = summaries.reduce((sum, s) => sum + s.length + 2, 0) + withDetail * 24;
  const perDetail = withDetail > 0 ? Math.max(0, Math.floor((FIX_REQUEST_MAX - fixed) / withDetail)) : 0;
  const parts = items.map((item, index) => {
    // No room left for a useful tail (many issues): the summaries alone.
    const detail = perDetail >= 80 && item.detail?.trim() ? tail(item.detail, FIX_DETAIL_LINES, perDetail) : "";
    if (!detail) return summaries[index];
    const fence = fenceFor(detail);
    return `${summaries[index]}\n\n${fence}\n${detail}\n${fence}`;
  });
  const text = parts.join("\n\n");
  return text.length > FIX_REQUEST_MAX ? `${text.slice(0, FIX_REQUEST_MAX - 1)}…` : text;
}

interface FixRequestState {
  /** The last request asked for; `id` tells a new one from one already taken. */
  request: { id: number; text: string } | null;
  /** The id of the request the change form has taken into its text box. */
  taken: number;
  ask(text: string): void;
  take(id: number): void;
}

export const useFixRequest = create<FixRequestState>()((set) => ({
  request: null,
  taken: 0,
  ask: (text) => set((s) => ({ request: { id: (s.request?.id ?? 0) + 1, text } })),
  take: (id) => set((s) => (id > s.taken ? { taken: id } : s)),
}));

/** The request the change form has not taken yet, if any. */
export function untakenFixRequest(state: Pick<FixRequestState, "request" | "taken">): { id: number; text: string } | null {
  return state.request && state.request.id > state.taken ? state.request : null;
}
