"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { ApiProblem } from "@/lib/client/api-errors";
import { NoModelNotice } from "./NoModelNotice";

/** An AI call that could not run or finish, explained: credits (402), rate limit (429), no provider (503), others. */
export function AiProblem({ problem, onRetry }: { problem: ApiProblem; onRetry?: () => void }) {
  const box = "rounded-md border p-3 text-sm";
  switch (problem.kind) {
    case "insufficient_credits":
      return (
        <div role="alert" className={`${box} border-amber-700/60 bg-amber-950/40 text-amber-100`}>
          <p>
            This needs <strong>{problem.required}</strong> credits and you have <strong>{problem.available}</strong>.
          </p>
          <Link href="/pricing" className="mt-1 inline-block font-semibold text-amber-300 underline underline-offset-2">
            Buy credits
          </Link>
          <span className="text-amber-200/80"> or add your own API key in </span>
          <Link href="/settings#ai-keys" className="font-semibold text-amber-300 underline underline-offset-2">
            Settings
          </Link>
        </div>
      );
    case "rate_limited":
      return <RateLimited seconds={problem.retryAfterSec} onRetry={onRetry} />;
    case "no_provider":
      return <NoModelNotice />;
    default:
      if (problem.kind === "other" && problem.code === "aborted") {
        return <p className="text-xs text-zinc-400">Stopped.</p>;
      }
      return (
        <div role="alert" className={`${box} border-red-800 bg-red-950/40 text-red-200`}>
          {problem.message}
        </div>
      );
  }
}

function RateLimited({ seconds, onRetry }: { seconds: number; onRetry?: () => void }) {
  const [until] = useState(() => Date.now() + seconds * 1000);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  return (
    <div role="alert" className="rounded-md border border-amber-700/60 bg-amber-950/40 p-3 text-sm text-amber-100">
      {left > 0 ? (
        <p>Too many AI requests. Retry in {left} s.</p>
      ) : (
        <p>
          You can try again now.{" "}
          {onRetry && (
            <button type="button" onClick={onRetry} className="font-semibold text-amber-300 underline underline-offset-2">
              Retry
            </button>
          )}
        </p>
      )}
    </div>
  );
}
