"use client";

import { useId, useState, type FormEvent } from "react";
import { buttonPrimary, buttonSecondary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { replaceSelection, singleCodeBlock } from "@/lib/client/answer-blocks";
import { useWorkspace } from "@/lib/client/workspace-store";
import { AiProblem } from "./AiProblem";
import { AnswerView, SummaryLine } from "./AnswerView";
import { byteLength, MAX_CODE_BYTES, safeLanguage, useAiCall } from "./useAiCall";
import { useOpenFile, type OpenFile } from "./useOpenFile";

type Action = "explain" | "fix" | "refactor";

const ACTIONS: { id: Action; label: string }[] = [
  { id: "explain", label: "Explain" },
  { id: "fix", label: "Fix" },
  { id: "refactor", label: "Refactor" },
];

/** What the last request was made on, so "Apply" edits exactly that. */
interface Asked {
  action: Action;
  file: OpenFile;
}

export function ActionsTab({ projectId }: { projectId: string }) {
  const id = useId();
  const open = useOpenFile(projectId);
  const [action, setAction] = useState<Action>("explain");
  const [errorText, setErrorText] = useState("");
  const [instruction, setInstruction] = useState("");
  const [formError, setFormError] = useState<string | null>(null);
  const [asked, setAsked] = useState<Asked | null>(null);
  const [applied, setApplied] = useState<string | null>(null);
  const { state, run, stop } = useAiCall();
  const setDraft = useWorkspace((s) => s.setDraft);

  const file = open.status === "ready" ? open.file : null;
  const streaming = state.status === "streaming";

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!file || streaming) return;
    if (action === "fix" && !errorText.trim()) return setFormError("Paste the error message to fix.");
    if (action === "refactor" && !instruction.trim()) return setFormError("Say what to change.");
    if (byteLength(file.code) > MAX_CODE_BYTES) return setFormError("This file is over 100 KB; select the part you mean and ask about that.");
    setFormError(null);
    setApplied(null);
    setAsked({ action, file });
    await run(action, {
      code: file.code,
      language: safeLanguage(file.language),
      path: file.path,
      projectId,
      ...(file.selection ? { selection: file.selection.text } : {}),
      ...(action === "fix" ? { error: errorText.trim() } : {}),
      ...(action === "refactor" ? { instruction: instruction.trim() } : {}),
    });
  }

  const applicable = asked && asked.action !== "explain" && state.status === "done" ? singleCodeBlock(state.text) : null;

  function onApply() {
    if (!asked || applicable === null) return;
    const current = useWorkspace.getState().drafts[asked.file.path] ?? (file?.path === asked.file.path ? file.code : null);
    if (current !== asked.file.code) {
      setApplied("The file changed since you asked; ask again to apply to the current text.");
      return;
    }
    let next: string | null;
    if (asked.file.selection) {
      next = replaceSelection(asked.file.code, asked.file.selection, applicable);
    } else {
      next = asked.file.code.endsWith("\n") && !applicable.endsWith("\n") ? `${applicable}\n` : applicable;
    }
    if (next === null) {
      setApplied("The selection is not in the file any more; ask again.");
      return;
    }
    setDraft(asked.file.path, next);
    setApplied(`Applied to ${asked.file.path} as an unsaved change. Review it in the editor and save to keep it.`);
  }

  return (
    <div className="space-y-4">
      <FileContext state={open} />
      <form onSubmit={onSubmit} className="space-y-3" noValidate>
        <div role="radiogroup" aria-label="AI action" className="inline-flex rounded-md border border-zinc-700 p-0.5">
          {ACTIONS.map((a) => (
            <button
              key={a.id}
              type="button"
              role="radio"
              aria-checked={action === a.id}
              onClick={() => {
                setAction(a.id);
                setFormError(null);
              }}
              className={`rounded px-3 py-1 text-xs font-semibold ${action === a.id ? "bg-zinc-700 text-zinc-50" : "text-zinc-400 hover:text-zinc-100"}`}
            >
              {a.label}
            </button>
          ))}
        </div>
        {action === "fix" && (
          <div>
            <label htmlFor={`${id}-error`} className={fieldLabel}>
              Error message
            </label>
            <textarea
              id={`${id}-error`}
              rows={4}
              value={errorText}
              onChange={(e) => setErrorText(e.target.value)}
              maxLength={20_000}
              placeholder="TypeError: Cannot read properties of undefined (reading 'map')"
              className={`${fieldInput} font-mono text-xs`}
            />
          </div>
        )}
        {action === "refactor" && (
          <div>
            <label htmlFor={`${id}-instruction`} className={fieldLabel}>
              Instruction
            </label>
            <input
              id={`${id}-instruction`}
              value={instruction}
              onChange={(e) => setInstruction(e.target.value)}
              maxLength={2_000}
              placeholder="Extract the validation into its own function"
              className={fieldInput}
            />
          </div>
        )}
        {formError && (
          <p role="alert" className="text-sm text-red-400">
            {formError}
          </p>
        )}
        <div className="flex gap-2">
          <button type="submit" className={`${buttonPrimary} px-3 py-1.5`} disabled={!file || streaming}>
            {streaming ? "Working…" : `${ACTIONS.find((a) => a.id === action)!.label} ${file?.selection ? "selection" : "file"}`}
          </button>
          {streaming && (
            <button type="button" onClick={stop} className={`${buttonSecondary} px-3 py-1.5`}>
              Stop
            </button>
          )}
        </div>
      </form>

      {state.status !== "idle" && (
        <section aria-label="AI answer" aria-live="polite" className="space-y-3 border-t border-zinc-800 pt-3" data-testid="ai-answer">
          {state.fellBack && <p className="text-xs text-amber-300">{state.fellBack} failed; answering with the next provider…</p>}
          {state.retrying && <p className="text-xs text-amber-300" role="status">{state.retrying}</p>}
          {state.text && <AnswerView text={state.text} streaming={streaming} />}
          {streaming && !state.text && <p className="text-sm text-zinc-400">Thinking…</p>}
          {state.problem && <AiProblem problem={state.problem} />}
          {state.summary && <SummaryLine summary={state.summary} />}
          {asked && asked.action !== "explain" && state.status === "done" && (
            <div className="space-y-2">
              {applicable !== null ? (
                <button type="button" onClick={onApply} className={`${buttonSecondary} px-3 py-1.5`}>
                  Apply to {asked.file.selection ? "selection" : asked.file.path}
                </button>
              ) : (
                <p className="text-xs text-zinc-500">The answer has no single code block to apply; copy what you need.</p>
              )}
              {applied && (
                <p role="status" className="text-xs text-zinc-300">
                  {applied}
                </p>
              )}
            </div>
          )}
        </section>
      )}
    </div>
  );
}

function FileContext({ state }: { state: ReturnType<typeof useOpenFile> }) {
  const box = "rounded-md border border-zinc-800 bg-zinc-950/60 px-3 py-2 text-xs";
  switch (state.status) {
    case "none":
      return <p className={`${box} text-zinc-400`}>Open a file in the editor to explain, fix or refactor it. Select lines to work on just those.</p>;
    case "loading":
      return <p className={`${box} text-zinc-400`}>Loading {state.path}…</p>;
    case "error":
      return (
        <p role="alert" className={`${box} text-red-300`}>
          Could not load {state.path}: {state.message}
        </p>
      );
    case "unviewable":
      return (
        <p className={`${box} text-zinc-400`}>
          {state.path} cannot be sent to the AI: {state.reason}.
        </p>
      );
    case "ready": {
      const { file } = state;
      return (
        <p className={`${box} text-zinc-300`} data-testid="ai-context">
          <span className="font-mono text-zinc-100">{file.path}</span>
          {file.isDraft && <span className="text-amber-300"> · unsaved</span>}
          <span className="text-zinc-500">
            {" "}
            · {file.selection ? `lines ${file.selection.startLine}–${file.selection.endLine} selected` : "whole file"}
          </span>
        </p>
      );
    }
  }
}
