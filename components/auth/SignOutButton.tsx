"use client";

import { useClerk } from "@clerk/nextjs";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useAuthMode } from "./AuthModeContext";

const baseClass =
  "inline-flex items-center gap-2 rounded-md border border-slate-700 bg-slate-900 px-3 py-1.5 text-sm font-medium text-slate-200 transition hover:bg-slate-800 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400 focus-visible:ring-offset-2 focus-visible:ring-offset-slate-950 disabled:cursor-not-allowed disabled:opacity-60";

interface Props {
  className?: string;
}

function LocalSignOutButton({ className }: Props) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [failed, setFailed] = useState(false);

  async function signOut() {
    setPending(true);
    setFailed(false);
    try {
      const response = await fetch("/api/auth/logout", { method: "POST" });
      if (!response.ok) throw new Error(String(response.status));
      router.replace("/");
      // Re-render server components so nothing signed-in stays cached.
      router.refresh();
    } catch {
      setFailed(true);
      setPending(false);
    }
  }

  return (
    <>
      <button type="button" onClick={signOut} disabled={pending} aria-busy={pending} className={className ?? baseClass}>
        Sign out
      </button>
      {failed && (
        <span role="alert" className="text-xs text-red-400">
          Sign out failed. Try again.
        </span>
      )}
    </>
  );
}

function ClerkSignOutButton({ className }: Props) {
  const clerk = useClerk();
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      disabled={pending}
      aria-busy={pending}
      className={className ?? baseClass}
      onClick={() => {
        setPending(true);
        void clerk.signOut({ redirectUrl: "/" }).finally(() => setPending(false));
      }}
    >
      Sign out
    </button>
  );
}

export function SignOutButton(props: Props) {
  return useAuthMode() === "clerk" ? <ClerkSignOutButton {...props} /> : <LocalSignOutButton {...props} />;
}

export default SignOutButton;
