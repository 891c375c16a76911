import { processStripeWebhook } from "@/lib/billing/webhook";
import { env } from "@/lib/env";
import { route } from "@/lib/http/errors";
import { getStore } from "@/lib/store";

/** Called by Stripe, not by a signed-in user: the signature is the authentication. */
export const POST = route(async (request) =>
  processStripeWebhook(await getStore(), request, { secret: env().STRIPE_WEBHOOK_SECRET }),
);
