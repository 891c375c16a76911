"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { AiProblem } from "@/components/ai/AiProblem";
import { AnswerView } from "@/components/ai/AnswerView";
import { ModelPicker, useRequestModel } from "@/components/ai/ModelPicker";
import { useProjectModel } from "@/components/ai/useProjectModel";
import { useOpenFile } from "@/components/ai/useOpenFile";
import { ChangeEstimate, useChangeEstimate } from "@/components/run/ChangeEstimate";
import { buttonPrimary, buttonSecondary, fieldInput } from "@/components/ui/styles";
import { PanelError } from "@/components/workspace/PanelStates";
import { errorMessage } from "@/lib/client/api";
import { postJson, type ApiProblem } from "@/lib/client/api-errors";
import { untakenFixRequest, useFixRequest } from "@/lib/client/fix-request";
import { balanceKey, changesKey, filesKey } from "@/lib/client/query-keys";
import { fetchChanges, fetchFiles } from "@/lib/client/workspace-api";
import { useWorkspace } from "@/lib/client/workspace-store";
import { PROJECT_PROMPT_MAX } from "@/lib/projects/limits";
import type { ChangeSummary } from "@/lib/workspace/change-summary";
import { ChangeTurn, UserBubble } from "./ChangeTurn";
import type { ChatTurn } from "./question-history";
import { useQuestions } from "./useQuestions";

type Mode = "change" | "ask";

type TimelineItem = { kind: "change"; at: number; change: ChangeSummary } | { kind: "question"; at: number; turn: ChatTurn; index: number };

/**
 * The project's chat. By default a message is a change request (POST /api/projects/:id/changes): one
 * editor changes the files it is about, the checks run, and the chat shows the change live, then its
 * diff, cost, checks and Undo. "Ask" sends a question instead, which changes nothing. The changes come
 * from the server (every device sees them); the questions live in this browser tab.
 */
export default function ProjectChat({ projectId }: { projectId: string }) {
  const id = useId();
  const queryClient = useQueryClient();
  const files = useQuery({ queryKey: filesKey(projectId), queryFn: () => fetchFiles(projectId) });
  const changes = useQuery({ queryKey: changesKey(projectId), queryFn: () => fetchChanges(projectId) });
  const questions = useQuestions(projectId);
  const open = useOpenFile(projectId);
  const setActiveRun = useWorkspace((s) => s.setActiveRun);
  const showPanel = useWorkspace((s) => s.showPanel);

  const [mode, setMode] = useState<Mode>("change");
  const [draft, setDraft] = useState(() => untakenFixRequest(useFixRequest.getState())?.text ?? "");
  const [withFile, setWithFile] = useState(true);
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  /** A change just started here, shown until the list has it. */
  const [started, setStarted] = useState<ChangeSummary | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const endRef = useRef<HTMLDivElement>(null);
  const { model, choose: chooseModel } = useProjectModel(projectId);
  const requestModel = useRequestModel(model);
  const estimate = useChangeEstimate(projectId, mode === "change" ? draft : "", requestModel);

  // "Ask for a fix" (a run's issues, the app that crashed): the request waits here, to read and send.
  useEffect(() => {
    const take = (fix: { id: number; text: string } | null, fill: boolean) => {
      if (!fix) return;
      useFixRequest.getState().take(fix.id);
      setMode("change");
      if (fill) setDraft(fix.text);
      setProblem(null);
      textarea.current?.focus();
    };
    take(untakenFixRequest(useFixRequest.getState()), false);
    return useFixRequest.subscribe((state) => take(untakenFixRequest(state), true));
  }, []);

  const timeline = useMemo(() => {
    const listed = changes.data?.changes ?? [];
    const items: TimelineItem[] = listed.map((change) => ({ kind: "change", at: change.createdAt, change }));
    if (started && !listed.some((c) => c.runId === started.runId)) items.push({ kind: "change", at: started.createdAt, change: started });
    questions.turns.forEach((turn, index) => items.push({ kind: "question", at: turn.at ?? 0, turn, index }));
    return items.sort((a, b) => a.at - b.at);
  }, [changes.data, started, questions.turns]);
  const newestChange = [...timeline].reverse().find((i) => i.kind === "change");
  const changing = timeline.some((i) => i.kind === "change" && i.change.status === "running");
  const hasFiles = files.data ? files.data.files.length > 0 : !files.isPending;

  useEffect(() => {
    void endRef.current?.scrollIntoView({ block: "nearest" });
  }, [timeline.length, questions.call.text]);

  async function askForChange(text: string) {
    setSending(true);
    setProblem(null);
    try {
      const result = await postJson<{ runId: string }>(`/api/projects/${encodeURIComponent(projectId)}/changes`, {
        request: text,
        ...(requestModel ? { model: requestModel } : {}),
      });
      if (!result.ok) {
        setProblem(result.problem);
        return false;
      }
      const now = Date.now();
      setStarted({ runId: result.data.runId, request: text, status: "running", createdAt: now, finishedAt: null, spent: null, version: null, files: [], issues: [], error: null });
      setActiveRun(result.data.runId);
      void queryClient.invalidateQueries({ queryKey: changesKey(projectId) });
      void queryClient.invalidateQueries({ queryKey: balanceKey() });
      return true;
    } finally {
      setSending(false);
    }
  }

  async function onSubmit(event?: FormEvent) {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || sending || questions.streaming) return;
    if (mode === "change") {
      if (await askForChange(text)) setDraft("");
      return;
    }
    setDraft("");
    await questions.ask(text, withFile && open.status === "ready" ? open.file : null);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void onSubmit();
    }
  }

  if (files.isSuccess && !hasFiles && timeline.length === 0) {
    return (
      <section aria-label="Chat" className="space-y-3 p-4 text-sm text-zinc-400">
        <p>This project has no files yet. Describe the app in the Run tab to generate it; then ask for changes here.</p>
        <button type="button" onClick={() => showPanel("run")} className={`${buttonSecondary} px-3 py-1 text-xs`}>
          Open Run
        </button>
      </section>
    );
  }

  return (
    <section aria-label="Chat" className="flex h-full min-h-0 flex-col gap-3 p-4" data-testid="project-chat">
      <div className="min-h-0 flex-1 space-y-3 overflow-auto" aria-live="polite" role="log" aria-label="Conversation">
        {changes.isError && (
          <PanelError message={`Could not load this project's changes: ${errorMessage(changes.error)}`} onRetry={() => void changes.refetch()} />
        )}
        {changes.data?.more && <p className="text-xs text-zinc-500">Older changes are not shown here; they are in Versions.</p>}
        {timeline.length === 0 && !changes.isPending && (
          <p className="text-sm text-zinc-500">
            Ask for a change — &ldquo;add a due date to each todo&rdquo;, &ldquo;the delete button does nothing&rdquo; — and only the files it
            is about are changed, then checked. Switch to Ask for questions that change nothing.
          </p>
        )}
        <ol className="space-y-4">
          {timeline.map((item) =>
            item.kind === "change" ? (
              <ChangeTurn key={item.change.runId} projectId={projectId} change={item.change} newest={item === newestChange} />
            ) : (
              <li key={`q${item.index}`} data-testid="chat-question">
                {item.turn.role === "user" ? (
                  <UserBubble text={item.turn.content} />
                ) : (
                  <div className="space-y-1">
                    <AnswerView text={item.turn.content} streaming={false} />
                    {item.turn.meta && <p className="text-xs text-zinc-500">{item.turn.meta}</p>}
                  </div>
                )}
              </li>
            ),
          )}
        </ol>
        {(questions.streaming || questions.call.status === "error") && (
          <div className="space-y-2">
            {questions.call.text && <AnswerView text={questions.call.text} streaming={questions.streaming} />}
            {questions.streaming && !questions.call.text && <p className="text-sm text-zinc-400">{questions.call.retrying ?? "Thinking…"}</p>}
            {questions.call.problem && <AiProblem problem={questions.call.problem} onRetry={questions.retry} />}
          </div>
        )}
        <div ref={endRef} />
      </div>

      <form onSubmit={onSubmit} className="shrink-0 space-y-2" aria-busy={sending}>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
          <ModeSwitch
            mode={mode}
            onChange={(next) => {
              setMode(next);
              setProblem(null);
            }}
          />
          {/* Questions (POST /api/ai/chat) take no `model`: the pick is for changes. */}
          {mode === "change" && <ModelPicker compact value={model} onChange={chooseModel} className="min-w-0 flex-1" />}
        </div>
        <label htmlFor={`${id}-message`} className="sr-only">
          {mode === "change" ? "What should change?" : "Your question"}
        </label>
        <textarea
          id={`${id}-message`}
          ref={textarea}
          rows={3}
          value={draft}
          maxLength={mode === "change" ? PROJECT_PROMPT_MAX : 20_000}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder={
            mode === "change"
              ? "What should change? (Enter to send, Shift+Enter for a new line)"
              : "Ask about the project… (Enter to send, Shift+Enter for a new line)"
          }
          className={fieldInput}
        />
        {mode === "change" ? (
          <ChangeEstimate estimate={estimate} />
        ) : (
          <label className="flex items-center gap-1.5 text-xs text-zinc-400">
            <input type="checkbox" checked={withFile} onChange={(e) => setWithFile(e.target.checked)} className="accent-brand-500" />
            Include {open.status === "ready" ? <span className="font-mono">{open.file.path}</span> : "the open file"}
          </label>
        )}
        {problem && <AiProblem problem={problem} />}
        <div className="flex flex-wrap items-center gap-2">
          {mode === "change" && (
            <p className="text-xs text-zinc-500">
              A big change?{" "}
              <button type="button" onClick={() => showPanel("run")} className="underline underline-offset-2 hover:text-zinc-300">
                Rebuild the whole app
              </button>
            </p>
          )}
          <div className="ml-auto flex gap-2">
            {questions.turns.length > 0 && !questions.streaming && mode === "ask" && (
              <button type="button" onClick={questions.forget} className={`${buttonSecondary} px-3 py-1 text-xs`}>
                Clear questions
              </button>
            )}
            {questions.streaming ? (
              <button type="button" onClick={questions.stop} className={`${buttonSecondary} px-3 py-1 text-xs`}>
                Stop
              </button>
            ) : (
              <button
                type="submit"
                className={`${buttonPrimary} px-3 py-1 text-xs`}
                disabled={!draft.trim() || sending || (mode === "change" && changing)}
                title={mode === "change" && changing ? "Wait for the change going on to end" : undefined}
              >
                {mode === "change" ? (sending ? "Starting…" : "Ask for change") : "Ask"}
              </button>
            )}
          </div>
        </div>
      </form>
    </section>
  );
}

const MODE_LABELS: Record<Mode, string> = { change: "Change", ask: "Ask" };

function ModeSwitch({ mode, onChange }: { mode: Mode; onChange(mode: Mode): void }) {
  return (
    <div role="group" aria-label="What the message does" className="inline-flex rounded-md border border-zinc-700 p-0.5 text-xs">
      {(Object.keys(MODE_LABELS) as Mode[]).map((option) => (
        <button
          key={option}
          type="button"
          aria-pressed={mode === option}
          onClick={() => onChange(option)}
          className={`rounded px-3 py-1 font-semibold transition-colors ${mode === option ? "bg-zinc-800 text-zinc-50" : "text-zinc-400 hover:text-zinc-100"}`}
        >
          {MODE_LABELS[option]}
        </button>
      ))}
    </div>
  );
}
