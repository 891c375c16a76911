"use client";

import { useEffect, useRef, useState } from "react";
import { buttonPrimary, buttonSecondary } from "@/components/ui/styles";
import { postJson } from "@/lib/client/api-errors";

interface CheckoutButtonProps {
  /** "pack" and "plan" start a Checkout; "portal" opens Stripe's billing portal. */
  action: { kind: "pack" | "plan"; id: string } | { kind: "portal" };
  label: string;
  /** Accessible name when the visible label alone is ambiguous ("Buy" × 3). */
  ariaLabel?: string;
  disabled?: boolean;
  variant?: "primary" | "secondary";
}

/** A random token per attempt: retries of the same attempt (e.g. after a lost response) reuse one Checkout Session. */
function newNonce(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Asks the server for a Stripe URL and sends the browser there. Stays
 * disabled while redirecting; shows the server's message when it refuses.
 */
export function CheckoutButton({ action, label, ariaLabel, disabled = false, variant = "primary" }: CheckoutButtonProps) {
  const [state, setState] = useState<"idle" | "pending" | "redirecting">("idle");
  const [error, setError] = useState<string | null>(null);
  const nonce = useRef<string | null>(null);

  // Back from Stripe via the back/forward cache: the page is restored as it was left ("Redirecting…").
  useEffect(() => {
    const onPageShow = (event: PageTransitionEvent) => {
      if (event.persisted) setState("idle");
    };
    window.addEventListener("pageshow", onPageShow);
    return () => window.removeEventListener("pageshow", onPageShow);
  }, []);

  async function go() {
    setState("pending");
    setError(null);
    const result =
      action.kind === "portal"
        ? await postJson<{ url: string }>("/api/billing/portal", {})
        : await postJson<{ url: string }>("/api/billing/checkout", { kind: action.kind, id: action.id, nonce: (nonce.current ??= newNonce()) });
    if (!result.ok) {
      setError(result.problem.message);
      setState("idle");
      return;
    }
    setState("redirecting");
    nonce.current = null; // a later purchase is a new session; only retries of this one share it
    window.location.assign(result.data.url);
  }

  const busyLabel = state === "redirecting" ? "Redirecting to Stripe…" : state === "pending" ? "Opening Stripe…" : label;
  return (
    <div>
      <button
        type="button"
        className={`${variant === "primary" ? buttonPrimary : buttonSecondary} w-full`}
        onClick={() => void go()}
        disabled={disabled || state !== "idle"}
        aria-busy={state !== "idle"}
        aria-label={state === "idle" ? ariaLabel : undefined}
      >
        {busyLabel}
      </button>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
