"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { buttonPrimary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { postJson } from "@/lib/client/api-errors";
import { untakenFixRequest, useFixRequest } from "@/lib/client/fix-request";
import { balanceKey } from "@/lib/client/query-keys";
import { fetchBalance } from "@/lib/client/workspace-api";
import { PROJECT_PROMPT_MAX } from "@/lib/projects/limits";
import { ChangeEstimate, useChangeEstimate } from "./ChangeEstimate";
import { parseCap } from "./EstimateAndCap";
import { InsufficientCredits } from "./InsufficientCredits";
import { SpendCapField } from "./SpendCapField";

interface ChangeRequestFormProps {
  projectId: string;
  onStarted(runId: string): void;
}

/**
 * Asks for a change to the project's files (POST /api/projects/:id/changes).
 * As the request is typed, its estimate and the files the editor would read are
 * shown (debounced, like the generation form's); asking for it reserves nothing.
 * An "Ask for a fix" elsewhere (lib/client/fix-request) fills the text box, for
 * the user to edit; nothing starts until the form is sent.
 */
export function ChangeRequestForm({ projectId, onStarted }: ChangeRequestFormProps) {
  const id = useId();
  const [request, setRequest] = useState(() => untakenFixRequest(useFixRequest.getState())?.text ?? "");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const [cap, setCap] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ field?: "request" | "cap"; message: string } | null>(null);
  const [short, setShort] = useState<{ required: number; available: number } | null>(null);
  const balance = useQuery({ queryKey: balanceKey(), queryFn: fetchBalance });
  const estimate = useChangeEstimate(projectId, request);

  // A fix asked for before this form was shown was taken by useState above; one asked for while it is shown replaces the text.
  useEffect(() => {
    const take = (fix: { id: number; text: string } | null, fill: boolean) => {
      if (!fix) return;
      useFixRequest.getState().take(fix.id);
      if (fill) {
        setRequest(fix.text);
        setError(null);
        setShort(null);
      }
      textarea.current?.focus();
    };
    take(untakenFixRequest(useFixRequest.getState()), false);
    return useFixRequest.subscribe((state) => take(untakenFixRequest(state), true));
  }, []);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const text = request.trim();
    setShort(null);
    if (!text) return setError({ field: "request", message: "Say what should change." });
    const parsed = parseCap(cap, balance.data ?? null);
    if (parsed.error) return setError({ field: "cap", message: parsed.error });
    setError(null);
    setPending(true);
    try {
      const result = await postJson<{ runId: string }>(`/api/projects/${encodeURIComponent(projectId)}/changes`, {
        request: text,
        ...(parsed.cap !== undefined ? { cap: parsed.cap } : {}),
      });
      if (result.ok) return onStarted(result.data.runId);
      const problem = result.problem;
      if (problem.kind === "insufficient_credits") setShort({ required: problem.required, available: problem.available });
      else setError({ message: problem.message });
    } catch {
      setError({ message: "Could not reach the server. Check your connection and try again." });
    }
    setPending(false);
  }

  return (
    <form onSubmit={onSubmit} noValidate aria-busy={pending} className="space-y-4" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="text-sm font-semibold text-zinc-100">
        Change this project
      </h3>
      <div>
        <label htmlFor={`${id}-request`} className={fieldLabel}>
          What should change?
        </label>
        <textarea
          id={`${id}-request`}
          ref={textarea}
          rows={4}
          required
          value={request}
          maxLength={PROJECT_PROMPT_MAX}
          onChange={(e) => setRequest(e.target.value)}
          placeholder="Add a due date to each todo"
          className={fieldInput}
          aria-invalid={error?.field === "request" ? true : undefined}
          aria-describedby={`${id}-request-help${error?.field === "request" ? ` ${id}-request-error` : ""}`}
        />
        {error?.field === "request" && (
          <p id={`${id}-request-error`} role="alert" className="mt-1 text-sm text-red-400">
            {error.message}
          </p>
        )}
        <p id={`${id}-request-help`} className="mt-1 text-xs text-zinc-500">
          An editor changes only the files the request is about, then the project&apos;s checks run. The result is saved as a new
          version you can undo.
        </p>
        <ChangeEstimate estimate={estimate} />
      </div>
      <SpendCapField cap={cap} onCapChange={setCap} available={balance.data} capError={error?.field === "cap" ? error.message : undefined} />
      {short && <InsufficientCredits {...short} />}
      {error && !error.field && (
        <p role="alert" className="text-sm text-red-400">
          {error.message}
        </p>
      )}
      <button type="submit" className={buttonPrimary} disabled={pending}>
        {pending ? "Starting…" : "Ask for change"}
      </button>
    </form>
  );
}
