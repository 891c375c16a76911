"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { buttonPrimary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX } from "@/lib/projects/limits";

type Field = "name" | "description";
type Errors = Partial<Record<Field | "form", string>>;

interface ErrorBody {
  error?: string;
  message?: string;
  field?: string;
  issues?: { path: string; message: string }[];
}

/** Which field a server error belongs to, so it can be shown next to that input. */
function errorsFromResponse(status: number, body: ErrorBody | null): Errors {
  const message = body?.message ?? `Could not create the project (HTTP ${status}).`;
  const field = body?.field ?? body?.issues?.[0]?.path;
  if (field === "name" || field === "description") {
    return { [field]: body?.issues?.[0]?.path === field ? body.issues[0].message : message };
  }
  return { form: message };
}

export function NewProjectForm() {
  const router = useRouter();
  const id = useId();
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<Errors>({});

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const data = new FormData(event.currentTarget);
    const name = String(data.get("name") ?? "").trim();
    const description = String(data.get("description") ?? "").trim();
    if (!name) {
      setErrors({ name: "Name is required." });
      return;
    }
    setPending(true);
    setErrors({});
    try {
      const response = await fetch("/api/projects", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(description ? { name, description } : { name }),
      });
      if (response.status === 401) {
        router.push("/sign-in");
        return;
      }
      const body = (await response.json().catch(() => null)) as ({ project?: { id: string } } & ErrorBody) | null;
      if (!response.ok || !body?.project) {
        setErrors(errorsFromResponse(response.status, body));
        setPending(false);
        return;
      }
      router.push(`/projects/${body.project.id}`);
    } catch {
      setErrors({ form: "Could not reach the server. Check your connection and try again." });
      setPending(false);
    }
  }

  const nameErrorId = `${id}-name-error`;
  const descriptionErrorId = `${id}-description-error`;

  return (
    <form onSubmit={onSubmit} noValidate aria-busy={pending} aria-labelledby={`${id}-title`} className="space-y-4">
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
          maxLength={PROJECT_NAME_MAX}
          autoComplete="off"
          placeholder="todo-app"
          className={fieldInput}
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? nameErrorId : undefined}
        />
        {errors.name && (
          <p id={nameErrorId} role="alert" className="mt-1 text-sm text-red-400">
            {errors.name}
          </p>
        )}
      </div>
      <div>
        <label htmlFor={`${id}-description`} className={fieldLabel}>
          Description <span className="font-normal text-zinc-500">(optional)</span>
        </label>
        <textarea
          id={`${id}-description`}
          name="description"
          rows={3}
          maxLength={PROJECT_DESCRIPTION_MAX}
          placeholder="A to-do list with due dates and reminders"
          className={fieldInput}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={errors.description ? descriptionErrorId : undefined}
        />
        {errors.description && (
          <p id={descriptionErrorId} role="alert" className="mt-1 text-sm text-red-400">
            {errors.description}
          </p>
        )}
      </div>
      {errors.form && (
        <p role="alert" className="text-sm text-red-400">
          {errors.form}
        </p>
      )}
      <button type="submit" className={buttonPrimary} disabled={pending}>
        {pending ? "Creating…" : "Create project"}
      </button>
    </form>
  );
}
