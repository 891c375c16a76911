import type { Metadata } from "next";
import Link from "next/link";
import { buttonPrimary } from "@/components/ui/styles";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <div className="mx-auto max-w-xl px-4 py-24 text-center sm:px-6">
      <p className="text-sm font-semibold tracking-widest text-brand-400">404</p>
      <h1 className="mt-2 text-3xl font-bold text-zinc-50">Page not found</h1>
      <p className="mt-4 text-zinc-400">This page does not exist, or you do not have access to it.</p>
      <Link href="/dashboard" className={`${buttonPrimary} mt-8`}>
        Go to your dashboard
      </Link>
    </div>
  );
}
