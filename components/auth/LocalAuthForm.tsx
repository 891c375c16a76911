"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

type Mode = "sign-in" | "sign-up";

const copy = {
  "sign-in": {
    endpoint: "/api/auth/login",
    submit: "Sign in",
    switchText: "New to AUTOCREA?",
    switchLink: "Create an account",
    switchHref: "/sign-up",
  },
  "sign-up": {
    endpoint: "/api/auth/register",
    submit: "Create account",
    switchText: "Already have an account?",
    switchLink: "Sign in",
    switchHref: "/sign-in",
  },
} as const;

const inputClass =
  "block w-full rounded-md border border-slate-700 bg-slate-950 px-3 py-2 text-slate-100 placeholder:text-slate-500 focus-visible:border-indigo-400 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400/60 aria-[invalid=true]:border-red-500";

async function messageFrom(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    if (typeof body.message === "string" && body.message) return body.message;
  } catch {
    // not JSON; fall through
  }
  return "Something went wrong. Please try again.";
}

export function LocalAuthForm({ mode }: { mode: Mode }) {
  const router = useRouter();
  const text = copy[mode];
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const form = new FormData(event.currentTarget);
    const body: Record<string, FormDataEntryValue | null> = { email: form.get("email"), password: form.get("password") };
    if (mode === "sign-up") body.name = form.get("name");

    setPending(true);
    setError(null);
    try {
      const response = await fetch(text.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        setError(await messageFrom(response));
        setPending(false);
        return;
      }
      router.replace("/dashboard");
      router.refresh();
    } catch {
      setError("Could not reach the server. Check your connection and try again.");
      setPending(false);
    }
  }

  const errorId = `${mode}-error`;
  const describedBy = error ? errorId : undefined;

  return (
    <div className="w-full max-w-sm rounded-xl border border-slate-800 bg-slate-900/80 p-8 shadow-xl shadow-black/30">
      <h1 className="text-2xl font-semibold text-slate-50">{mode === "sign-up" ? "Create your account" : "Sign in to AUTOCREA"}</h1>
      <p className="mt-1 text-sm text-slate-400">
        {mode === "sign-up" ? "New accounts start with 100 free credits." : "Welcome back."}
      </p>

      {/* noValidate: the API is the one source of validation messages, shown below. */}
      <form onSubmit={onSubmit} noValidate className="mt-6 space-y-4" aria-describedby={describedBy}>
        {mode === "sign-up" && (
          <div className="space-y-1.5">
            <label htmlFor="name" className="block text-sm font-medium text-slate-300">
              Name
            </label>
            <input id="name" name="name" type="text" autoComplete="name" required maxLength={80} className={inputClass} aria-invalid={error ? true : undefined} />
          </div>
        )}
        <div className="space-y-1.5">
          <label htmlFor="email" className="block text-sm font-medium text-slate-300">
            Email
          </label>
          <input id="email" name="email" type="email" autoComplete="email" required maxLength={254} className={inputClass} aria-invalid={error ? true : undefined} />
        </div>
        <div className="space-y-1.5">
          <label htmlFor="password" className="block text-sm font-medium text-slate-300">
            Password
          </label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
            required
            maxLength={200}
            className={inputClass}
            aria-invalid={error ? true : undefined}
          />
          {mode === "sign-up" && <p className="text-xs text-slate-500">At least 8 characters.</p>}
        </div>

        {error && (
          <p id={errorId} role="alert" className="rounded-md border border-red-900/60 bg-red-950/50 px-3 py-2 text-sm text-red-300">
            {error}
          </p>
        )}

        <button
          type="submit"
          disabled={pending}
          aria-busy={pending}
          className="flex w-full items-center justify-center gap-2 rounded-md bg-indigo-500 px-4 py-2 font-medium text-white transition hover:bg-indigo-400 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-300 focus-visible:ring-offset-2 focus-visible:ring-offset-slate-900 disabled:cursor-wait disabled:opacity-70"
        >
          {pending && <span aria-hidden="true" className="h-4 w-4 animate-spin rounded-full border-2 border-white/40 border-t-white" />}
          {text.submit}
        </button>
      </form>

      <p className="mt-6 text-center text-sm text-slate-400">
        {text.switchText}{" "}
        <Link href={text.switchHref} className="rounded font-medium text-indigo-300 hover:text-indigo-200 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400">
          {text.switchLink}
        </Link>
      </p>
    </div>
  );
}

export default LocalAuthForm;
