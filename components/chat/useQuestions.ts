"use client";

import { useEffect, useState } from "react";
import { byteLength, MAX_CODE_BYTES, safeLanguage, useAiCall } from "@/components/ai/useAiCall";
import type { OpenFile } from "@/components/ai/useOpenFile";
import { boundHistory, loadHistory, saveHistory, type ChatTurn } from "./question-history";

/**
 * The chat's questions (POST /api/ai/chat): the conversation so far is sent with each one, with the
 * open file when asked; it never changes files. Kept for the browser tab's session.
 */
export function useQuestions(projectId: string) {
  const [turns, setTurns] = useState<ChatTurn[]>(() => loadHistory(projectId));
  const [lastFile, setLastFile] = useState<OpenFile | null>(null);
  const { state, run, stop, clear } = useAiCall();

  useEffect(() => {
    saveHistory(projectId, turns);
  }, [projectId, turns]);

  async function send(history: ChatTurn[], file: OpenFile | null) {
    const included = file && byteLength(file.code) <= MAX_CODE_BYTES ? file : null;
    setLastFile(included);
    const result = await run("chat", {
      messages: history.map(({ role, content }) => ({ role, content })),
      projectId,
      ...(included ? { code: included.code, language: safeLanguage(included.language), path: included.path } : {}),
    });
    if (result.status === "done" && result.text) {
      const meta = result.summary
        ? `${result.summary.credits} credit${result.summary.credits === 1 ? "" : "s"}${result.summary.model ? ` · ${result.summary.model}` : ""}`
        : undefined;
      setTurns((t) => boundHistory([...t, { role: "assistant", content: result.text, at: Date.now(), ...(meta ? { meta } : {}) }]));
      clear();
    }
  }

  /** Asks `text`; a question left unanswered (the call failed) is replaced, so user turns never follow each other. */
  async function ask(text: string, file: OpenFile | null) {
    const base = turns.at(-1)?.role === "user" ? turns.slice(0, -1) : turns;
    const history = boundHistory([...base, { role: "user", content: text, at: Date.now() }]);
    setTurns(history);
    await send(history, file);
  }

  return {
    turns,
    call: state,
    streaming: state.status === "streaming",
    ask,
    retry: () => void send(turns, lastFile),
    stop,
    forget: () => {
      clear();
      setTurns([]);
    },
  };
}
