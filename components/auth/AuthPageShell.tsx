import Link from "next/link";
import type { ReactNode } from "react";

export function AuthPageShell({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-8 bg-slate-950 px-4 py-12">
      <Link href="/" className="rounded text-lg font-bold tracking-tight text-slate-100 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400">
        AUTOCREA
      </Link>
      {children}
    </main>
  );
}
