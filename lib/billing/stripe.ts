import Stripe from "stripe";
import { env, type Env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";

/** 503 `{error: "payments_disabled"}`: this server has no STRIPE_SECRET_KEY. */
export const paymentsDisabled = () =>
  new HttpError(
    503,
    "payments_disabled",
    "Payments are not configured on this server (STRIPE_SECRET_KEY is not set), so nothing can be bought here.",
  );

/** Stripe client options from env: STRIPE_API_BASE (tests, stripe-mock) replaces api.stripe.com. */
export function stripeConfig(e: Pick<Env, "STRIPE_API_BASE">): Stripe.StripeConfig {
  const config: Stripe.StripeConfig = { telemetry: false, maxNetworkRetries: 1, timeout: 20_000 };
  if (e.STRIPE_API_BASE) {
    const base = new URL(e.STRIPE_API_BASE);
    config.host = base.hostname;
    config.protocol = base.protocol === "http:" ? "http" : "https";
    config.port = base.port || (config.protocol === "http" ? 80 : 443);
  }
  return config;
}

let cached: { key: string; base: string | undefined; client: Stripe } | undefined;

/** The Stripe API client for this server; throws the 503 payments_disabled error without a secret key. */
export function stripeClient(): Stripe {
  const e = env();
  if (!e.STRIPE_SECRET_KEY) throw paymentsDisabled();
  if (!cached || cached.key !== e.STRIPE_SECRET_KEY || cached.base !== e.STRIPE_API_BASE) {
    cached = {
      key: e.STRIPE_SECRET_KEY,
      base: e.STRIPE_API_BASE,
      client: new Stripe(e.STRIPE_SECRET_KEY, stripeConfig(e)),
    };
  }
  return cached.client;
}

/** Webhook signing and verification (static: needs no API key). */
export const stripeWebhooks = Stripe.webhooks;
