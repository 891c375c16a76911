import type { Metadata } from "next";
import Link from "next/link";
import { CheckoutButton } from "@/components/billing/CheckoutButton";
import { PricingCatalog } from "@/components/billing/PricingCatalog";
import { card } from "@/components/ui/styles";
import { getUser } from "@/lib/auth";
import { findPlan } from "@/lib/billing/catalog";
import { isLiveSubscription } from "@/lib/billing/checkout";
import { env } from "@/lib/env";
import { getStore } from "@/lib/store";

export const metadata: Metadata = { title: "Pricing" };

export default async function PricingPage({ searchParams }: { searchParams: Promise<{ checkout?: string | string[] }> }) {
  const [user, params] = await Promise.all([getUser(), searchParams]);
  const paymentsEnabled = env().paymentsMode === "stripe";
  const store = await getStore();
  const [balance, subscription] = user ? await Promise.all([store.getBalance(user.id), store.getSubscription(user.id)]) : [0, null];
  const currentPlan = user ? findPlan(user.plan) : undefined;
  const hasLiveSubscription = isLiveSubscription(subscription);

  return (
    <div className="mx-auto max-w-6xl px-4 py-10 sm:px-6">
      <h1 className="text-3xl font-bold tracking-tight text-zinc-50">Pricing</h1>
      <p className="mt-1 max-w-2xl text-sm text-zinc-400">
        Buy a credit pack or subscribe for monthly credits. Every run shows its estimate first, reserves credits up front, and
        refunds what it does not use.
      </p>

      {!paymentsEnabled && (
        <div role="status" data-testid="payments-disabled" className="mt-6 rounded-lg border border-amber-500/40 bg-amber-500/10 p-4 text-sm text-amber-200">
          <strong className="font-semibold">Buying is not configured on this server.</strong> Prices are shown for reference; the
          operator has not set up Stripe (STRIPE_SECRET_KEY), so packs and plans cannot be bought here.
        </div>
      )}

      {params.checkout === "canceled" && (
        <div role="status" className="mt-6 rounded-lg border border-zinc-700 bg-zinc-900 p-4 text-sm text-zinc-300">
          Checkout canceled — nothing was charged.
        </div>
      )}

      {user ? (
        <section aria-labelledby="account-title" className={`${card} mt-6 flex flex-wrap items-center gap-x-10 gap-y-4`}>
          <h2 id="account-title" className="sr-only">
            Your account
          </h2>
          <div>
            <p className="text-sm text-zinc-400">Credit balance</p>
            <p className="text-2xl font-bold text-zinc-50">
              <span data-testid="pricing-balance">{balance.toLocaleString("en-US")}</span> {balance === 1 ? "credit" : "credits"}
            </p>
          </div>
          <div>
            <p className="text-sm text-zinc-400">Current plan</p>
            <p className="text-2xl font-bold text-zinc-50" data-testid="current-plan">
              {currentPlan?.name ?? "Free"}
            </p>
            {subscription && subscription.status === "past_due" && (
              <p className="mt-1 text-sm text-amber-300">The last payment failed; update your card to keep your plan.</p>
            )}
            {subscription && subscription.status === "active" && subscription.currentPeriodEnd > 0 && (
              <p className="mt-1 text-xs text-zinc-500">
                Renews {new Date(subscription.currentPeriodEnd).toLocaleDateString("en-US", { dateStyle: "medium" })}
              </p>
            )}
          </div>
          {subscription?.stripeCustomerId && (
            <div className="ml-auto w-56">
              <CheckoutButton action={{ kind: "portal" }} label="Manage subscription" variant="secondary" disabled={!paymentsEnabled} />
            </div>
          )}
        </section>
      ) : (
        <p className="mt-6 text-sm text-zinc-300">
          <Link href="/sign-in" className="font-semibold text-brand-400 hover:text-brand-300">
            Sign in
          </Link>{" "}
          or{" "}
          <Link href="/sign-up" className="font-semibold text-brand-400 hover:text-brand-300">
            create an account
          </Link>{" "}
          to buy credits — new accounts start with a free trial.
        </p>
      )}

      <PricingCatalog
        signedIn={!!user}
        paymentsEnabled={paymentsEnabled}
        currentPlan={currentPlan}
        hasLiveSubscription={hasLiveSubscription}
      />
    </div>
  );
}
