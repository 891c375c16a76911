import Link from "next/link";

/** The 402 answer, with the numbers and where to get more credits. */
export function InsufficientCredits({ required, available }: { required: number; available: number }) {
  return (
    <div role="alert" className="rounded-md border border-amber-700/60 bg-amber-950/40 p-3 text-sm text-amber-100">
      <p>
        This needs <strong>{required}</strong> credits and you have <strong>{available}</strong>.{" "}
        {available > 0
          ? `Set a spend cap of at most ${available} (the run stops when it is reached) or buy more credits.`
          : "Buy credits to continue."}
      </p>
      <Link href="/pricing" className="mt-2 inline-block font-semibold text-amber-300 underline underline-offset-2 hover:text-amber-200">
        Buy credits
      </Link>
    </div>
  );
}
