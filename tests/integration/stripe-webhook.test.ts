import { POST } from "@/app/api/webhooks/stripe/route";
import { processStripeWebhook } from "@/lib/billing/webhook";
import { getStore } from "@/lib/store";
import { openConvexStore } from "../convex/backend";
import { openTestApp } from "./support/app";
import { WEBHOOK_SECRET } from "./stripe-events";
import { describeStripeWebhookCases } from "./stripe-webhook-cases";

/**
 * The same webhook cases over both stores: SQLite through the real route
 * handler, Convex (convex-test, which runs in this node project too) through
 * the same lib function the route calls.
 */

describeStripeWebhookCases("SQLite, route handler", async () => {
  const cleanup = await openTestApp({ STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  return {
    store: await getStore(),
    deliver: (request) => POST(request, undefined),
    close: async () => {
      delete process.env.STRIPE_WEBHOOK_SECRET;
      await cleanup();
    },
  };
});

describeStripeWebhookCases("Convex adapter over convex-test", async () => {
  const { store } = await openConvexStore();
  return {
    store,
    deliver: (request) => processStripeWebhook(store, request, { secret: WEBHOOK_SECRET }),
    close: () => store.close(),
  };
});
