"use client";

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { buttonPrimary, buttonSecondary, fieldInput } from "@/components/ui/styles";
import { AiProblem } from "./AiProblem";
import { AnswerView } from "./AnswerView";
import { boundHistory, loadHistory, saveHistory, type ChatTurn } from "./chat-history";
import { byteLength, MAX_CODE_BYTES, safeLanguage, useAiCall } from "./useAiCall";
import { useOpenFile } from "./useOpenFile";

/** A conversation about the project, with the open file as context when the user wants it. */
export function ChatTab({ projectId }: { projectId: string }) {
  const id = useId();
  const [turns, setTurns] = useState<ChatTurn[]>(() => loadHistory(projectId));
  const [draft, setDraft] = useState("");
  const [withFile, setWithFile] = useState(true);
  const [lastBody, setLastBody] = useState<unknown>(null);
  const open = useOpenFile(projectId);
  const { state, run, stop, clear } = useAiCall();
  const streaming = state.status === "streaming";
  const endRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    saveHistory(projectId, turns);
  }, [projectId, turns]);
  useEffect(() => {
    // Braces matter: scrollIntoView returns a promise in recent browsers, and an effect must not return one.
    void endRef.current?.scrollIntoView({ block: "nearest" });
  }, [turns.length, state.text]);

  async function send(history: ChatTurn[]) {
    const file = withFile && open.status === "ready" && byteLength(open.file.code) <= MAX_CODE_BYTES ? open.file : null;
    const body = {
      messages: history.map(({ role, content }) => ({ role, content })),
      projectId,
      ...(file ? { code: file.code, language: safeLanguage(file.language), path: file.path } : {}),
    };
    setLastBody(body);
    const result = await run("chat", body);
    if (result.status === "done" && result.text) {
      const meta = result.summary ? `${result.summary.credits} credit${result.summary.credits === 1 ? "" : "s"}${result.summary.model ? ` · ${result.summary.model}` : ""}` : undefined;
      setTurns((t) => boundHistory([...t, { role: "assistant", content: result.text, ...(meta ? { meta } : {}) }]));
      clear();
    }
  }

  async function onSubmit(event?: FormEvent) {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || streaming) return;
    // A question left unanswered (the call failed) is replaced, so user turns never follow each other.
    const base = turns.at(-1)?.role === "user" ? turns.slice(0, -1) : turns;
    const history = boundHistory([...base, { role: "user", content: text }]);
    setTurns(history);
    setDraft("");
    await send(history);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void onSubmit();
    }
  }

  return (
    <div className="flex h-full min-h-0 flex-col gap-3">
      <div className="min-h-0 flex-1 space-y-3 overflow-auto" aria-live="polite" aria-label="Conversation" role="log">
        {turns.length === 0 && !streaming && (
          <p className="text-sm text-zinc-500">Ask about the project: how something works, what to change, why a test fails.</p>
        )}
        {turns.map((turn, i) =>
          turn.role === "user" ? (
            <div key={i} className="ml-6 rounded-md bg-zinc-800 px-3 py-2 text-sm whitespace-pre-wrap text-zinc-100">
              {turn.content}
            </div>
          ) : (
            <div key={i} className="space-y-1">
              <AnswerView text={turn.content} streaming={false} />
              {turn.meta && <p className="text-xs text-zinc-500">{turn.meta}</p>}
            </div>
          ),
        )}
        {(streaming || state.status === "error") && (
          <div className="space-y-2">
            {state.text && <AnswerView text={state.text} streaming={streaming} />}
            {streaming && !state.text && <p className="text-sm text-zinc-400">Thinking…</p>}
            {state.problem && <AiProblem problem={state.problem} onRetry={lastBody ? () => void send(turns) : undefined} />}
          </div>
        )}
        <div ref={endRef} />
      </div>
      <form onSubmit={onSubmit} className="shrink-0 space-y-2">
        <label htmlFor={`${id}-message`} className="sr-only">
          Chat message
        </label>
        <textarea
          id={`${id}-message`}
          rows={3}
          value={draft}
          maxLength={20_000}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder="Ask something… (Enter to send, Shift+Enter for a new line)"
          className={fieldInput}
        />
        <div className="flex flex-wrap items-center gap-2">
          <label className="flex items-center gap-1.5 text-xs text-zinc-400">
            <input type="checkbox" checked={withFile} onChange={(e) => setWithFile(e.target.checked)} className="accent-brand-500" />
            Include {open.status === "ready" ? <span className="font-mono">{open.file.path}</span> : "the open file"}
          </label>
          <div className="ml-auto flex gap-2">
            {turns.length > 0 && !streaming && (
              <button type="button" onClick={() => setTurns([])} className={`${buttonSecondary} px-3 py-1 text-xs`}>
                Clear
              </button>
            )}
            {streaming ? (
              <button type="button" onClick={stop} className={`${buttonSecondary} px-3 py-1 text-xs`}>
                Stop
              </button>
            ) : (
              <button type="submit" className={`${buttonPrimary} px-3 py-1 text-xs`} disabled={!draft.trim()}>
                Send
              </button>
            )}
          </div>
        </div>
      </form>
    </div>
  );
}
