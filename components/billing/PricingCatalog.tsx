import Link from "next/link";
import { card } from "@/components/ui/styles";
import { CREDIT_PACKS, FREE_TRIAL, PAID_PLANS, formatPrice, type PaidPlan } from "@/lib/billing/catalog";
import { CheckoutButton } from "./CheckoutButton";

interface PricingCatalogProps {
  signedIn: boolean;
  paymentsEnabled: boolean;
  /** The user's current paid plan, if any (entitled subscription). */
  currentPlan: PaidPlan | undefined;
  /** A subscription exists that is not canceled: a second one is refused. */
  hasLiveSubscription: boolean;
}

/** Packs and plans from lib/billing/catalog with their Buy / Subscribe buttons. */
export function PricingCatalog({ signedIn, paymentsEnabled, currentPlan, hasLiveSubscription }: PricingCatalogProps) {
  const canBuy = signedIn && paymentsEnabled;
  return (
    <>
      <section aria-labelledby="packs-title" className="mt-10">
        <h2 id="packs-title" className="text-xl font-semibold text-zinc-50">
          Credit packs
        </h2>
        <p className="mt-1 text-sm text-zinc-400">One payment, credits that never expire.</p>
        <ul className="mt-4 grid gap-4 sm:grid-cols-3">
          {CREDIT_PACKS.map((pack) => (
            <li key={pack.id} className={`${card} flex flex-col`} data-testid={`pack-${pack.id}`}>
              <h3 className="font-semibold text-zinc-100">{pack.name}</h3>
              <p className="mt-2 text-3xl font-bold text-zinc-50">{pack.credits.toLocaleString("en-US")}</p>
              <p className="text-sm text-zinc-400">credits</p>
              <p className="mt-4 text-lg font-semibold text-zinc-100">{formatPrice(pack.priceCents)}</p>
              <p className="mb-4 text-xs text-zinc-500">{formatPrice(Math.round((pack.priceCents / pack.credits) * 100))} per 100 credits</p>
              <div className="mt-auto">
                {signedIn ? (
                  <CheckoutButton
                    action={{ kind: "pack", id: pack.id }}
                    label="Buy"
                    ariaLabel={`Buy ${pack.credits.toLocaleString("en-US")} credits for ${formatPrice(pack.priceCents)}`}
                    disabled={!canBuy}
                  />
                ) : (
                  <SignInToBuy />
                )}
              </div>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="plans-title" className="mt-12">
        <h2 id="plans-title" className="text-xl font-semibold text-zinc-50">
          Plans
        </h2>
        <p className="mt-1 text-sm text-zinc-400">Monthly credits for regular building. Cancel any time from “Manage subscription”.</p>
        <ul className="mt-4 grid gap-4 sm:grid-cols-3">
          <li className={`${card} flex flex-col`} data-testid="plan-free">
            <h3 className="font-semibold text-zinc-100">{FREE_TRIAL.name}</h3>
            <p className="mt-2 text-3xl font-bold text-zinc-50">{FREE_TRIAL.credits}</p>
            <p className="text-sm text-zinc-400">credits, once</p>
            <p className="mt-4 text-lg font-semibold text-zinc-100">{formatPrice(0)}</p>
            <p className="mb-4 text-xs text-zinc-500">Included with every new account.</p>
            <div className="mt-auto">
              {signedIn ? (
                <p className="text-sm text-zinc-400">Granted when you signed up.</p>
              ) : (
                <Link href="/sign-up" className="text-sm font-semibold text-brand-400 hover:text-brand-300">
                  Create an account
                </Link>
              )}
            </div>
          </li>
          {PAID_PLANS.map((plan) => {
            const isCurrent = currentPlan?.id === plan.id;
            return (
              <li key={plan.id} className={`${card} flex flex-col`} data-testid={`plan-${plan.id}`}>
                <h3 className="flex items-center gap-2 font-semibold text-zinc-100">
                  {plan.name}
                  {isCurrent && <span className="rounded-full bg-brand-500/15 px-2 py-0.5 text-xs text-brand-300">Current plan</span>}
                </h3>
                <p className="mt-2 text-3xl font-bold text-zinc-50">{plan.monthlyCredits.toLocaleString("en-US")}</p>
                <p className="text-sm text-zinc-400">credits every month</p>
                <p className="mt-4 text-lg font-semibold text-zinc-100">
                  {formatPrice(plan.priceCents)} <span className="text-sm font-normal text-zinc-400">/ month</span>
                </p>
                <p className="mb-4 text-xs text-zinc-500">{plan.description}</p>
                <div className="mt-auto">
                  {!signedIn ? (
                    <SignInToBuy />
                  ) : hasLiveSubscription ? (
                    <p className="text-sm text-zinc-400">
                      {isCurrent ? "You are on this plan." : "To switch, cancel your current plan with “Manage subscription” first."}
                    </p>
                  ) : (
                    <CheckoutButton
                      action={{ kind: "plan", id: plan.id }}
                      label="Subscribe"
                      ariaLabel={`Subscribe to ${plan.name} for ${formatPrice(plan.priceCents)} a month`}
                      disabled={!canBuy}
                    />
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </section>
    </>
  );
}

function SignInToBuy() {
  return (
    <Link href="/sign-in" className="text-sm font-semibold text-brand-400 hover:text-brand-300">
      Sign in to buy
    </Link>
  );
}
