import type Stripe from "stripe";
import { z } from "zod";
import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { log } from "@/lib/log";
import type { Store, Subscription, SubscriptionStatus, User } from "@/lib/store/types";
import { CURRENCY, findPack, findPlan, type PurchaseKind } from "./catalog";
import { stripeClient } from "./stripe";

export const checkoutRequestSchema = z.object({
  kind: z.enum(["pack", "plan"]),
  id: z.string().trim().min(1).max(64),
  /**
   * Chosen by the page once per load: clicks that repeat it (a double click,
   * a retry after a network error) reuse the same Checkout Session.
   */
  nonce: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/, "nonce: 8–64 letters, digits, - or _")
    .optional(),
});

export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;

/** A second plan is refused while the current subscription is in one of these states. */
const SUBSCRIBED: ReadonlySet<SubscriptionStatus> = new Set(["active", "trialing", "past_due", "unpaid", "paused"]);

/** Whether this subscription still runs (so the user manages it instead of buying another). */
export function isLiveSubscription(subscription: Subscription | null): subscription is Subscription {
  return !!subscription && SUBSCRIBED.has(subscription.status);
}

/** Without a nonce, requests for the same item within this window share one session. */
const IDEMPOTENCY_BUCKET_MS = 60_000;

/** Metadata our webhooks read back: on the Checkout Session and, for plans, on the subscription. */
export interface PurchaseMetadata {
  userId: string;
  kind: PurchaseKind;
  id: string;
  credits: string;
  [key: string]: string;
}

export function checkoutIdempotencyKey(userId: string, request: CheckoutRequest, now = Date.now()): string {
  const salt = request.nonce ?? `t${Math.floor(now / IDEMPOTENCY_BUCKET_MS)}`;
  return `checkout:${userId}:${request.kind}:${request.id}:${salt}`;
}

/** The Checkout Session parameters for one pack or plan; unknown ids are a 404. */
export function checkoutParams(user: User, request: CheckoutRequest, stripeCustomerId: string | null): Stripe.Checkout.SessionCreateParams {
  const appUrl = env().APP_URL.replace(/\/$/, "");
  const common = {
    client_reference_id: user.id,
    success_url: `${appUrl}/dashboard?checkout=success`,
    cancel_url: `${appUrl}/pricing?checkout=canceled`,
    ...(stripeCustomerId ? { customer: stripeCustomerId } : { customer_email: user.email }),
  };

  if (request.kind === "pack") {
    const pack = findPack(request.id);
    if (!pack) throw new HttpError(404, "not_found", `There is no credit pack "${request.id}".`);
    const metadata: PurchaseMetadata = { userId: user.id, kind: "pack", id: pack.id, credits: String(pack.credits) };
    return {
      ...common,
      mode: "payment",
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: CURRENCY,
            unit_amount: pack.priceCents,
            product_data: { name: `${pack.name}: ${pack.credits.toLocaleString("en-US")} AUTOCREA credits` },
          },
        },
      ],
      metadata,
      payment_intent_data: { metadata },
    };
  }

  const plan = findPlan(request.id);
  if (!plan) throw new HttpError(404, "not_found", `There is no plan "${request.id}".`);
  const metadata: PurchaseMetadata = { userId: user.id, kind: "plan", id: plan.id, credits: String(plan.monthlyCredits) };
  return {
    ...common,
    mode: "subscription",
    line_items: [
      {
        quantity: 1,
        price_data: {
          currency: CURRENCY,
          unit_amount: plan.priceCents,
          recurring: { interval: "month" },
          product_data: { name: `AUTOCREA ${plan.name}: ${plan.monthlyCredits.toLocaleString("en-US")} credits a month` },
        },
      },
    ],
    metadata,
    subscription_data: { metadata },
  };
}

/** Creates a Stripe Checkout Session for the signed-in user and returns where to send the browser. */
export async function createCheckoutSession(store: Store, user: User, request: CheckoutRequest): Promise<{ url: string; id: string }> {
  const stripe = stripeClient();
  const subscription = await store.getSubscription(user.id);
  if (request.kind === "plan" && isLiveSubscription(subscription)) {
    throw new HttpError(
      409,
      "already_subscribed",
      "You already have a subscription. Manage or cancel it with “Manage subscription” before starting another.",
    );
  }
  const params = checkoutParams(user, request, subscription?.stripeCustomerId || null);
  const session = await callStripe(() =>
    stripe.checkout.sessions.create(params, { idempotencyKey: checkoutIdempotencyKey(user.id, request) }),
  );
  if (!session.url) throw new HttpError(502, "stripe_error", "Stripe did not return a checkout page. Please try again.");
  return { url: session.url, id: session.id };
}

/** A Stripe Billing Portal session for the user's customer; 409 when they have never subscribed. */
export async function createPortalSession(store: Store, user: User): Promise<{ url: string }> {
  const stripe = stripeClient();
  const subscription = await store.getSubscription(user.id);
  if (!subscription?.stripeCustomerId) {
    throw new HttpError(
      409,
      "no_billing_account",
      "There is no subscription to manage yet. Subscribe to a plan first; packs need no management.",
    );
  }
  const appUrl = env().APP_URL.replace(/\/$/, "");
  const session = await callStripe(() =>
    stripe.billingPortal.sessions.create({ customer: subscription.stripeCustomerId, return_url: `${appUrl}/pricing` }),
  );
  return { url: session.url };
}

/** Stripe failures become a 502 with a message for people; the details go to the server log only. */
async function callStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const status = (err as { statusCode?: unknown } | null)?.statusCode;
    log.error({ provider: "stripe", status: typeof status === "number" ? status : undefined, error: detail }, "Stripe API call failed");
    throw new HttpError(502, "stripe_error", "The payment provider could not be reached or refused the request. Please try again.");
  }
}
