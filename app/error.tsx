"use client";

import { useEffect } from "react";
import { buttonPrimary } from "@/components/ui/styles";

export default function RootError({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error && "digest" in error ? String(error.digest) : null;

  return (
    <div className="mx-auto max-w-xl px-4 py-24 text-center sm:px-6" role="alert">
      <h1 className="text-3xl font-bold text-zinc-50">Something went wrong</h1>
      <p className="mt-4 text-zinc-400">An unexpected error stopped this page. Your work is saved; try again.</p>
      {digest && <p className="mt-2 text-xs text-zinc-500">Reference: {digest}</p>}
      <button type="button" onClick={() => retry()} className={`${buttonPrimary} mt-8`}>
        Try again
      </button>
    </div>
  );
}
