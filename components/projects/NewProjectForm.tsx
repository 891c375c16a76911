"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { ModelPicker, useRequestModel } from "@/components/ai/ModelPicker";
import { EstimateAndCap, parseCap } from "@/components/run/EstimateAndCap";
import { InsufficientCredits } from "@/components/run/InsufficientCredits";
import { currentEstimate, useEstimate } from "@/components/run/useEstimate";
import { buttonPrimary, buttonSecondary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { postJson, type ApiProblem } from "@/lib/client/api-errors";
import { PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX, PROJECT_PROMPT_MAX } from "@/lib/projects/limits";
import { EXAMPLE_PROMPTS } from "./examplePrompts";

type Field = "name" | "description" | "cap";
type Errors = Partial<Record<Field | "form", string>>;
type Action = "create" | "generate";

/** Which field a server error belongs to, so it can be shown next to that input. */
function errorsFromProblem(problem: ApiProblem): Errors {
  if (problem.kind === "other" && (problem.field === "name" || problem.field === "description" || problem.field === "prompt")) {
    return { [problem.field === "name" ? "name" : "description"]: problem.message };
  }
  return { form: problem.message };
}

/** The project list shows the description; the whole prompt is kept as the project's prompt. */
function descriptionFor(prompt: string): string {
  return prompt.length <= PROJECT_DESCRIPTION_MAX ? prompt : `${prompt.slice(0, PROJECT_DESCRIPTION_MAX - 1)}…`;
}

/**
 * New project: a name and a description of the app. "Create and generate"
 * creates it and starts a generation run (after showing its estimate);
 * "Create project" only creates it.
 */
export function NewProjectForm() {
  const router = useRouter();
  const id = useId();
  const [name, setName] = useState("");
  const [prompt, setPrompt] = useState("");
  const [cap, setCap] = useState("");
  const [model, setModel] = useState<string | null>(null);
  const [pending, setPending] = useState<Action | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [shortOfCredits, setShortOfCredits] = useState<{ required: number; available: number } | null>(null);
  /** Created on a first try whose generation could not start: a retry starts it for this project, not a new one. */
  const [created, setCreated] = useState<{ id: string; name: string } | null>(null);
  const requestModel = useRequestModel(model);
  const estimate = useEstimate(prompt, requestModel);
  const available = currentEstimate(estimate)?.available ?? null;

  async function createProject(trimmedName: string, description: string): Promise<string | null> {
    if (created && created.name === trimmedName) return created.id;
    const body: Record<string, string> = { name: trimmedName };
    if (description) {
      body.description = descriptionFor(description);
      body.prompt = description;
    }
    if (requestModel) body.model = requestModel;
    const result = await postJson<{ project: { id: string } }>("/api/projects", body);
    if (!result.ok) {
      if (result.problem.kind === "unauthorized") router.push("/sign-in");
      else setErrors(errorsFromProblem(result.problem));
      return null;
    }
    setCreated({ id: result.data.project.id, name: trimmedName });
    return result.data.project.id;
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const action: Action = submitter?.value === "generate" ? "generate" : "create";
    const trimmedName = name.trim();
    const description = prompt.trim();
    const next: Errors = {};
    if (!trimmedName) next.name = "Name is required.";
    if (action === "generate" && !description) next.description = "Describe the app to generate it.";
    const parsedCap = action === "generate" ? parseCap(cap, available) : {};
    if (parsedCap.error) next.cap = parsedCap.error;
    setErrors(next);
    setShortOfCredits(null);
    if (Object.keys(next).length > 0) return;

    setPending(action);
    try {
      const projectId = await createProject(trimmedName, description);
      if (!projectId) return setPending(null);
      if (action === "create") return router.push(`/projects/${projectId}`);

      const started = await postJson<{ runId: string }>("/api/generations", {
        projectId,
        prompt: description,
        ...(parsedCap.cap !== undefined ? { cap: parsedCap.cap } : {}),
        ...(requestModel ? { model: requestModel } : {}),
      });
      if (started.ok) return router.push(`/projects/${projectId}?run=${encodeURIComponent(started.data.runId)}`);
      // The project exists although its generation did not start: the list shows it (the form stays where it is).
      router.refresh();
      const problem = started.problem;
      if (problem.kind === "insufficient_credits") setShortOfCredits({ required: problem.required, available: problem.available });
      else if (problem.kind === "unauthorized") router.push("/sign-in");
      // No model: the picker already says where to add one.
      else if (problem.kind !== "no_provider") setErrors({ form: problem.message });
      setPending(null);
    } catch {
      setErrors({ form: "Could not reach the server. Check your connection and try again." });
      setPending(null);
    }
  }

  const errorId = (field: Field) => `${id}-${field}-error`;

  return (
    <form onSubmit={onSubmit} noValidate aria-busy={pending !== null} aria-labelledby={`${id}-title`} className="space-y-4">
      <h2 id={`${id}-title`} className="text-lg font-semibold text-zinc-50">
        New project
      </h2>
      <div>
        <label htmlFor={`${id}-name`} className={fieldLabel}>
          Name
        </label>
        <input
          id={`${id}-name`}
          name="name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={PROJECT_NAME_MAX}
          autoComplete="off"
          placeholder="todo-app"
          className={fieldInput}
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? errorId("name") : undefined}
        />
        {errors.name && (
          <p id={errorId("name")} role="alert" className="mt-1 text-sm text-red-400">
            {errors.name}
          </p>
        )}
      </div>
      <div>
        <label htmlFor={`${id}-description`} className={fieldLabel}>
          Description of the app <span className="font-normal text-zinc-500">(what to build)</span>
        </label>
        <textarea
          id={`${id}-description`}
          name="description"
          rows={5}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          maxLength={PROJECT_PROMPT_MAX}
          placeholder="A to-do list with due dates and reminders"
          className={fieldInput}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={`${id}-examples-label${errors.description ? ` ${errorId("description")}` : ""}`}
        />
        {errors.description && (
          <p id={errorId("description")} role="alert" className="mt-1 text-sm text-red-400">
            {errors.description}
          </p>
        )}
        <div className="mt-2 flex flex-wrap items-center gap-2" role="group" aria-labelledby={`${id}-examples-label`}>
          <span id={`${id}-examples-label`} className="text-xs text-zinc-500">
            Examples:
          </span>
          {EXAMPLE_PROMPTS.map((example) => (
            <button
              key={example.label}
              type="button"
              onClick={() => {
                setPrompt(example.prompt);
                if (!name.trim()) setName(example.label);
              }}
              className="rounded-full border border-zinc-700 px-3 py-1 text-xs text-zinc-300 hover:border-brand-500 hover:text-zinc-50 focus-visible:outline-2 focus-visible:outline-brand-400"
            >
              {example.label}
            </button>
          ))}
        </div>
      </div>

      <ModelPicker value={model} onChange={setModel} />

      <EstimateAndCap estimate={estimate} cap={cap} onCapChange={setCap} capError={errors.cap} />

      {shortOfCredits && <InsufficientCredits {...shortOfCredits} />}
      {created && (shortOfCredits || errors.form) && (
        <p className="text-sm text-zinc-400">
          The project was created.{" "}
          <Link href={`/projects/${created.id}`} className="text-brand-400 underline underline-offset-2">
            Open it
          </Link>{" "}
          to generate later.
        </p>
      )}
      {errors.form && (
        <p role="alert" className="text-sm text-red-400">
          {errors.form}
        </p>
      )}
      <div className="flex flex-wrap gap-3">
        <button type="submit" name="action" value="generate" className={buttonPrimary} disabled={pending !== null}>
          {pending === "generate" ? "Starting…" : "Create and generate"}
        </button>
        <button type="submit" name="action" value="create" className={buttonSecondary} disabled={pending !== null}>
          {pending === "create" ? "Creating…" : "Create project"}
        </button>
      </div>
      <p className="text-xs text-zinc-500">&ldquo;Create project&rdquo; only creates it; you can generate from its page later.</p>
    </form>
  );
}
