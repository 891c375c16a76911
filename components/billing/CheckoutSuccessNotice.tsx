"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

const REFRESH_EVERY_MS = 3_000;
const REFRESH_FOR_MS = 30_000;

/**
 * After Stripe Checkout sends the buyer back (`?checkout=success`): says the
 * payment is being confirmed and re-renders the page for a short while, so
 * the balance shows the credits as soon as the webhook has granted them.
 */
export function CheckoutSuccessNotice() {
  const params = useSearchParams();
  const router = useRouter();
  const active = params.get("checkout") === "success";
  const [watching, setWatching] = useState(active);

  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => router.refresh(), REFRESH_EVERY_MS);
    const stop = setTimeout(() => {
      clearInterval(timer);
      setWatching(false);
    }, REFRESH_FOR_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(stop);
    };
  }, [active, router]);

  if (!active) return null;
  return (
    <div role="status" className="mt-6 rounded-lg border border-emerald-500/40 bg-emerald-500/10 p-4 text-sm text-emerald-200">
      <strong className="font-semibold">Thank you — checkout complete.</strong>{" "}
      {watching
        ? "Your credits are added as soon as Stripe confirms the payment, usually within seconds; this page updates by itself."
        : "If your balance has not changed yet, Stripe is still confirming the payment; reload this page in a minute."}
    </div>
  );
}
