import Stripe from "stripe";

/**
 * Stripe event payloads as Stripe sends them (current API version shapes,
 * only the fields AUTOCREA reads plus ids), and signing helpers.
 */

export const WEBHOOK_SECRET = "whsec_test_autocrea_0123456789";

let seq = 0;
const nextId = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(++seq).toString(36)}`;

export function event(type: string, object: Record<string, unknown>, id = nextId("evt")): Record<string, unknown> {
  return { id, object: "event", type, api_version: Stripe.API_VERSION, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } };
}

export function packCheckoutCompleted(
  userId: string,
  { packId = "pack-500", credits = 500, paymentStatus = "paid", sessionId = nextId("cs_test") } = {},
) {
  return event("checkout.session.completed", {
    id: sessionId,
    object: "checkout.session",
    mode: "payment",
    payment_status: paymentStatus,
    status: "complete",
    client_reference_id: userId,
    customer: null,
    metadata: { userId, kind: "pack", id: packId, credits: String(credits) },
  });
}

export function asyncPaymentSucceeded(userId: string, sessionId: string, { packId = "pack-500", credits = 500 } = {}) {
  return event("checkout.session.async_payment_succeeded", {
    id: sessionId,
    object: "checkout.session",
    mode: "payment",
    payment_status: "paid",
    status: "complete",
    client_reference_id: userId,
    metadata: { userId, kind: "pack", id: packId, credits: String(credits) },
  });
}

export function subscriptionEvent(
  type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
  userId: string,
  { subscriptionId = "sub_test_1", customerId = "cus_test_1", planId = "creator", status = "active", periodEnd = 1_900_000_000 } = {},
) {
  return event(type, {
    id: subscriptionId,
    object: "subscription",
    customer: customerId,
    status,
    metadata: { userId, kind: "plan", id: planId, credits: "1500" },
    items: { object: "list", data: [{ id: "si_1", object: "subscription_item", current_period_end: periodEnd }] },
  });
}

export function invoiceEvent(
  type: "invoice.paid" | "invoice.payment_failed",
  userId: string,
  {
    invoiceId = nextId("in_test"),
    subscriptionId = "sub_test_1",
    customerId = "cus_test_1",
    planId = "creator",
    billingReason = "subscription_cycle",
    periodEnd = 1_900_000_000,
  } = {},
) {
  return event(type, {
    id: invoiceId,
    object: "invoice",
    customer: customerId,
    billing_reason: billingReason,
    status: type === "invoice.paid" ? "paid" : "open",
    parent: {
      type: "subscription_details",
      quote_details: null,
      subscription_details: { subscription: subscriptionId, metadata: { userId, kind: "plan", id: planId, credits: "1500" } },
    },
    lines: { object: "list", data: [{ id: "il_1", object: "line_item", period: { start: periodEnd - 2_592_000, end: periodEnd } }] },
  });
}

/** A Stripe-Signature header for this exact payload. */
export function sign(payload: string, { secret = WEBHOOK_SECRET, timestamp = Math.floor(Date.now() / 1000) } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

export function webhookRequest(payload: string, signature: string | null, headers: Record<string, string> = {}): Request {
  return new Request("http://localhost:3000/api/webhooks/stripe", {
    method: "POST",
    headers: { "content-type": "application/json", ...(signature ? { "stripe-signature": signature } : {}), ...headers },
    body: payload,
  });
}

export function signedRequest(evt: Record<string, unknown>): Request {
  const payload = JSON.stringify(evt);
  return webhookRequest(payload, sign(payload));
}
