"use client";

import { useRouter } from "next/navigation";
import { useId, useRef, useState, type FormEvent } from "react";
import { buttonDanger, buttonSecondary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { apiJson, errorMessage } from "@/lib/client/api";

/**
 * "Delete project": a modal dialog (native <dialog>: focus moves to the name field and back to the
 * button, Escape closes it)
 * where the user types the project's name to confirm. The project's files, versions and run
 * history are deleted for good (a run in progress is canceled first); its deployments stay in the
 * records. After the deletion `afterDelete` runs: the dashboard refreshes its list, the workspace
 * goes back to the dashboard.
 */
export function DeleteProjectButton({
  project,
  afterDelete,
}: {
  project: { id: string; name: string };
  afterDelete: "refresh" | "dashboard";
}) {
  const router = useRouter();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmed = typed.trim() === project.name;

  function open() {
    setTyped("");
    setError(null);
    dialog.current?.showModal();
  }

  function close() {
    if (!pending) dialog.current?.close();
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!confirmed || pending) return;
    setPending(true);
    setError(null);
    try {
      await apiJson(`/api/projects/${encodeURIComponent(project.id)}`, { method: "DELETE" });
      dialog.current?.close();
      if (afterDelete === "dashboard") router.push("/dashboard");
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <>
      <button
        type="button"
        onClick={open}
        className={`${buttonSecondary} px-3 py-1.5 hover:border-red-700 hover:text-red-300`}
        aria-label={`Delete project ${project.name}`}
        aria-haspopup="dialog"
      >
        Delete
      </button>
      <dialog
        ref={dialog}
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-what`}
        onCancel={(event) => {
          if (pending) event.preventDefault();
        }}
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-zinc-700 bg-zinc-900 p-6 text-zinc-100 backdrop:bg-black/60"
      >
        <form onSubmit={onSubmit} aria-busy={pending}>
          <h2 id={`${id}-title`} className="text-lg font-semibold text-zinc-50">
            Delete “{project.name}”?
          </h2>
          <div id={`${id}-what`} className="mt-2 space-y-2 text-sm text-zinc-300">
            <p>
              Its files, every version and its run history are deleted for good. A generation or change still running is
              canceled first; credits it did not spend are refunded.
            </p>
            <p>
              Its deployments stay in your records, and sites already deployed stay online at their provider until you
              remove them there.
            </p>
          </div>
          <label htmlFor={`${id}-name`} className={`${fieldLabel} mt-4`}>
            Type <span className="font-mono text-zinc-50">{project.name}</span> to confirm
          </label>
          <input
            id={`${id}-name`}
            className={fieldInput}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={error ? true : undefined}
          />
          {error && (
            <p role="alert" className="mt-3 rounded-md border border-red-800 bg-red-950/40 px-3 py-2 text-sm text-red-200">
              {error}
            </p>
          )}
          <div className="mt-6 flex justify-end gap-3">
            <button type="button" className={buttonSecondary} onClick={close} disabled={pending}>
              Cancel
            </button>
            <button type="submit" className={buttonDanger} disabled={!confirmed || pending}>
              {pending ? "Deleting…" : "Delete project"}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
