import Link from "next/link";

/** What the UI says when no model can run (the `no_provider` problem): where to add one. */
export function NoModelNotice() {
  return (
    <p role="alert" className="rounded-md border border-zinc-700 bg-zinc-900 p-3 text-sm text-zinc-200" data-testid="no-model-notice">
      No AI model is available yet. Add a key or your own endpoint in{" "}
      <Link href="/settings#ai-keys" className="font-semibold text-brand-400 underline underline-offset-2">
        Settings
      </Link>
      .
    </p>
  );
}
