"use client";

import { Fragment } from "react";
import { splitAnswer } from "@/lib/client/answer-blocks";
import type { AiSummary } from "@/lib/client/ai-stream";

/** Inline `code` and **bold** only; everything else is shown as written. */
function Inline({ text }: { text: string }) {
  const parts = text.split(/(`[^`\n]+`|\*\*[^*\n]+\*\*)/g);
  return (
    <>
      {parts.map((part, i) =>
        part.startsWith("`") && part.endsWith("`") && part.length > 2 ? (
          <code key={i} className="rounded bg-zinc-800 px-1 py-0.5 font-mono text-[0.85em] text-zinc-100">
            {part.slice(1, -1)}
          </code>
        ) : part.startsWith("**") && part.endsWith("**") && part.length > 4 ? (
          <strong key={i} className="text-zinc-50">
            {part.slice(2, -2)}
          </strong>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  );
}

/** An AI answer, rendered as it streams: prose with inline code, fenced blocks in <pre>. */
export function AnswerView({ text, streaming }: { text: string; streaming: boolean }) {
  const blocks = splitAnswer(text);
  return (
    <div className="space-y-3 text-sm leading-relaxed text-zinc-200" aria-busy={streaming}>
      {blocks.map((block, i) =>
        block.type === "text" ? (
          <p key={i} className="break-words whitespace-pre-wrap">
            <Inline text={block.text} />
          </p>
        ) : (
          <pre key={i} className="overflow-auto rounded-md border border-zinc-800 bg-zinc-950 p-3 font-mono text-xs text-zinc-100">
            {block.language && <span className="mb-1 block text-[10px] tracking-wide text-zinc-500 uppercase">{block.language}</span>}
            <code>{block.code}</code>
          </pre>
        ),
      )}
      {streaming && <span className="inline-block h-4 w-2 animate-pulse bg-zinc-400 align-middle" aria-hidden="true" />}
    </div>
  );
}

export function SummaryLine({ summary }: { summary: AiSummary }) {
  return (
    <p className="text-xs text-zinc-500" data-testid="ai-summary">
      {summary.credits} {summary.credits === 1 ? "credit" : "credits"}
      {summary.model ? ` · ${summary.model}` : ""}
      {summary.provider ? ` (${summary.provider})` : ""} · {(summary.inputTokens + summary.outputTokens).toLocaleString("en")} tokens
      {summary.balance !== null ? ` · balance ${summary.balance}` : ""}
    </p>
  );
}
