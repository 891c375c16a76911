import { describe, expect, it } from "vitest";
import { findPlan } from "@/lib/billing/catalog";
import type { Store } from "@/lib/store/types";
import {
  asyncPaymentSucceeded,
  event,
  invoiceEvent,
  packCheckoutCompleted,
  sign,
  signedRequest,
  subscriptionEvent,
  webhookRequest,
} from "./stripe-events";

export interface WebhookHarness {
  store: Store;
  /** Hands the request to POST /api/webhooks/stripe (or the same lib function over another store). */
  deliver(request: Request): Promise<Response>;
  close(): Promise<void>;
}

const creator = findPlan("creator")!;
const pro = findPlan("pro")!;

/** The same event as Stripe created it at `created` (epoch seconds): what a late redelivery looks like. */
function createdAt(evt: Record<string, unknown>, created: number): Record<string, unknown> {
  return { ...evt, created };
}

/** The Stripe webhook behaviour, run once per store. */
export function describeStripeWebhookCases(name: string, open: () => Promise<WebhookHarness>) {
  describe(`Stripe webhooks (${name})`, () => {
    async function withHarness(fn: (h: WebhookHarness, userId: string) => Promise<void>) {
      const h = await open();
      try {
        const { user } = await h.store.ensureUser({ externalId: `ext-${Math.random()}`, email: `buyer-${Math.random()}@example.com` });
        expect(await h.store.getBalance(user.id)).toBe(100);
        await fn(h, user.id);
      } finally {
        await h.close();
      }
    }

    it("a paid pack checkout grants the pack's credits as a purchase, keyed by the session", () =>
      withHarness(async (h, userId) => {
        const evt = packCheckoutCompleted(userId, { packId: "pack-2000", credits: 2000 });
        const res = await h.deliver(signedRequest(evt));
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ received: true, applied: true, credited: 2000 });
        expect(await h.store.getBalance(userId)).toBe(2100);
        const sessionId = (evt.data as { object: { id: string } }).object.id;
        const [entry] = await h.store.listLedger(userId, 1);
        expect(entry).toMatchObject({ delta: 2000, reason: "purchase", idempotencyKey: `checkout:${sessionId}` });
      }));

    it("refuses a tampered body, a wrong secret, a missing header and a 10-minute-old timestamp with 400 invalid_signature", () =>
      withHarness(async (h, userId) => {
        const payload = JSON.stringify(packCheckoutCompleted(userId));
        const tampered = payload.replace('"credits":"500"', '"credits":"50000"');
        expect(tampered).not.toBe(payload);
        const cases = [
          webhookRequest(tampered, sign(payload)),
          webhookRequest(payload, sign(payload, { secret: "whsec_someone_else" })),
          webhookRequest(payload, null),
          webhookRequest(payload, sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 })),
        ];
        for (const request of cases) {
          const res = await h.deliver(request);
          expect(res.status).toBe(400);
          expect(await res.json()).toMatchObject({ error: "invalid_signature", message: expect.any(String) });
        }
        expect(await h.store.getBalance(userId)).toBe(100);
        // The genuine delivery still works afterwards: nothing was recorded by the refusals.
        expect((await h.deliver(webhookRequest(payload, sign(payload)))).status).toBe(200);
        expect(await h.store.getBalance(userId)).toBe(600);
      }));

    it("refuses a 2 MB body with 413 before looking at it", () =>
      withHarness(async (h, userId) => {
        const evt = packCheckoutCompleted(userId);
        const payload = JSON.stringify({ ...evt, padding: "x".repeat(2 * 1024 * 1024) });
        const res = await h.deliver(webhookRequest(payload, sign(payload)));
        expect(res.status).toBe(413);
        expect(await res.json()).toMatchObject({ error: "payload_too_large" });
        expect(await h.store.getBalance(userId)).toBe(100);
      }));

    it("answers 200 ignored to an event type it does not handle, and changes nothing", () =>
      withHarness(async (h, userId) => {
        const res = await h.deliver(signedRequest(event("customer.created", { id: "cus_1", object: "customer" })));
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ received: true, ignored: true });
        expect(await h.store.getBalance(userId)).toBe(100);
      }));

    it("the same event delivered 5 times concurrently grants once", () =>
      withHarness(async (h, userId) => {
        const payload = JSON.stringify(packCheckoutCompleted(userId));
        const responses = await Promise.all(
          Array.from({ length: 5 }, () => h.deliver(webhookRequest(payload, sign(payload)))),
        );
        const bodies = await Promise.all(responses.map((r) => r.json()));
        expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
        expect(bodies.filter((b) => b.applied === true)).toHaveLength(1);
        expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(4);
        expect(await h.store.getBalance(userId)).toBe(600);
        expect((await h.store.listLedger(userId)).filter((e) => e.reason === "purchase")).toHaveLength(1);
      }));

    it("an unpaid checkout grants nothing; its async payment success grants once, whichever event repeats it", () =>
      withHarness(async (h, userId) => {
        const unpaid = packCheckoutCompleted(userId, { paymentStatus: "unpaid" });
        const sessionId = (unpaid.data as { object: { id: string } }).object.id;
        const res = await h.deliver(signedRequest(unpaid));
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ received: true, applied: false, reason: "payment_pending" });
        expect(await h.store.getBalance(userId)).toBe(100);

        expect((await h.deliver(signedRequest(asyncPaymentSucceeded(userId, sessionId)))).status).toBe(200);
        expect(await h.store.getBalance(userId)).toBe(600);
        // A different event about the same paid session (e.g. a completed+paid) cannot credit it again.
        await h.deliver(signedRequest(packCheckoutCompleted(userId, { sessionId })));
        expect(await h.store.getBalance(userId)).toBe(600);
      }));

    it("a subscription: the checkout grants nothing, each paid period grants the plan's credits once, the plan follows the status", () =>
      withHarness(async (h, userId) => {
        const checkout = event("checkout.session.completed", {
          id: "cs_test_sub",
          object: "checkout.session",
          mode: "subscription",
          payment_status: "paid",
          client_reference_id: userId,
          customer: "cus_test_1",
          subscription: "sub_test_1",
          metadata: { userId, kind: "plan", id: "creator", credits: "1500" },
        });
        expect(await (await h.deliver(signedRequest(checkout))).json()).toMatchObject({ applied: false });
        expect(await h.store.getBalance(userId)).toBe(100);

        const first = invoiceEvent("invoice.paid", userId, { invoiceId: "in_first", billingReason: "subscription_create" });
        expect(await (await h.deliver(signedRequest(first))).json()).toMatchObject({ applied: true, credited: creator.monthlyCredits });
        expect(await h.store.getBalance(userId)).toBe(100 + creator.monthlyCredits);
        expect((await h.store.getUser(userId))!.plan).toBe("creator");
        expect(await h.store.getSubscription(userId)).toEqual({
          userId,
          stripeCustomerId: "cus_test_1",
          stripeSubscriptionId: "sub_test_1",
          plan: "creator",
          status: "active",
          currentPeriodEnd: 1_900_000_000_000,
        });

        // The same invoice in another event (Stripe can emit both) does not pay twice.
        await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, { invoiceId: "in_first", billingReason: "subscription_create" })));
        expect(await h.store.getBalance(userId)).toBe(100 + creator.monthlyCredits);

        // A proration invoice grants nothing; the next period grants again.
        await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, { invoiceId: "in_prorate", billingReason: "subscription_update" })));
        await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, { invoiceId: "in_second", periodEnd: 1_902_592_000 })));
        expect(await h.store.getBalance(userId)).toBe(100 + 2 * creator.monthlyCredits);
        const grants = (await h.store.listLedger(userId)).filter((e) => e.reason === "subscription");
        expect(grants.map((e) => e.idempotencyKey).sort()).toEqual(["invoice:in_first", "invoice:in_second"]);

        // A failed renewal: past_due, and the paid plan is withheld.
        await h.deliver(signedRequest(invoiceEvent("invoice.payment_failed", userId, { invoiceId: "in_third" })));
        expect((await h.store.getSubscription(userId))!.status).toBe("past_due");
        expect((await h.store.getUser(userId))!.plan).toBe("free");

        // Recovered, then canceled.
        await h.deliver(signedRequest(subscriptionEvent("customer.subscription.updated", userId, { status: "active" })));
        expect((await h.store.getUser(userId))!.plan).toBe("creator");
        await h.deliver(signedRequest(subscriptionEvent("customer.subscription.deleted", userId, { status: "canceled" })));
        expect((await h.store.getUser(userId))!.plan).toBe("free");
        expect((await h.store.getSubscription(userId))!.status).toBe("canceled");
      }));

    it("out of order: subscription deleted before its invoice is paid → the paid period is granted, the plan stays free", () =>
      withHarness(async (h, userId) => {
        const deleted = await h.deliver(signedRequest(subscriptionEvent("customer.subscription.deleted", userId, { status: "canceled" })));
        expect(deleted.status).toBe(200);
        expect((await h.store.getSubscription(userId))!.status).toBe("canceled");

        const paid = await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, { invoiceId: "in_late", billingReason: "subscription_create" })));
        expect(paid.status).toBe(200);
        expect(await h.store.getBalance(userId)).toBe(100 + creator.monthlyCredits);
        expect((await h.store.getUser(userId))!.plan).toBe("free");
        expect((await h.store.getSubscription(userId))!.status).toBe("canceled");

        // A stale "active" update for the same subscription does not revive it either.
        await h.deliver(signedRequest(subscriptionEvent("customer.subscription.updated", userId, { status: "active" })));
        expect((await h.store.getUser(userId))!.plan).toBe("free");
        expect((await h.store.getSubscription(userId))!.status).toBe("canceled");

        // A new subscription of the same user is live again.
        await h.deliver(signedRequest(subscriptionEvent("customer.subscription.created", userId, { subscriptionId: "sub_test_2", planId: "pro" })));
        expect((await h.store.getUser(userId))!.plan).toBe("pro");
      }));

    it("credited says what was granted: 0 when the session or invoice was already credited through another event", () =>
      withHarness(async (h, userId) => {
        const completed = packCheckoutCompleted(userId);
        const sessionId = (completed.data as { object: { id: string } }).object.id;
        expect(await (await h.deliver(signedRequest(completed))).json()).toMatchObject({ applied: true, credited: 500 });
        // Another event for the same paid session: recorded, but its grant's key was used.
        const again = await h.deliver(signedRequest(asyncPaymentSucceeded(userId, sessionId)));
        expect(await again.json()).toEqual({
          received: true,
          applied: false,
          reason: "already_credited",
          credited: 0,
          type: "checkout.session.async_payment_succeeded",
        });
        expect(await h.store.getBalance(userId)).toBe(600);

        const first = { invoiceId: "in_twice", billingReason: "subscription_create" };
        expect(await (await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, first)))).json()).toMatchObject({
          credited: creator.monthlyCredits,
        });
        expect(await (await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, first)))).json()).toMatchObject({
          credited: 0,
          subscription: { change: "current", status: "active", plan: "creator" },
        });
        expect(await h.store.getBalance(userId)).toBe(600 + creator.monthlyCredits);
      }));

    it("a canceled subscription's late events, after a newer one started, change nothing but the paid period's credits; the newer one's deletion applies", () =>
      withHarness(async (h, userId) => {
        const oldSub = { subscriptionId: "sub_old", planId: "creator" };
        const newSub = { subscriptionId: "sub_new", planId: "pro" };
        await h.deliver(signedRequest(subscriptionEvent("customer.subscription.created", userId, oldSub)));
        await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, { ...oldSub, invoiceId: "in_old_1", billingReason: "subscription_create" })));
        expect((await h.store.getUser(userId))!.plan).toBe("creator");

        // The user cancels, then subscribes to Pro.
        await h.deliver(signedRequest(subscriptionEvent("customer.subscription.deleted", userId, { ...oldSub, status: "canceled" })));
        expect((await h.store.getUser(userId))!.plan).toBe("free");
        await h.deliver(signedRequest(subscriptionEvent("customer.subscription.created", userId, newSub)));
        await h.deliver(signedRequest(invoiceEvent("invoice.paid", userId, { ...newSub, invoiceId: "in_new_1", billingReason: "subscription_create" })));
        expect((await h.store.getUser(userId))!.plan).toBe("pro");
        const balance = 100 + creator.monthlyCredits + pro.monthlyCredits;
        expect(await h.store.getBalance(userId)).toBe(balance);

        // Late: the old subscription's "active" update...
        const lateUpdate = await h.deliver(signedRequest(subscriptionEvent("customer.subscription.updated", userId, { ...oldSub, status: "active" })));
        expect(await lateUpdate.json()).toEqual({
          received: true,
          applied: false,
          reason: "subscription_ended",
          credited: 0,
          subscription: { change: "none", reason: "subscription_ended" },
          type: "customer.subscription.updated",
        });
        // ...and the invoice of a renewal it was paid for: the credits, but not the plan.
        const lateInvoice = signedRequest(invoiceEvent("invoice.paid", userId, { ...oldSub, invoiceId: "in_old_2" }));
        expect(await (await h.deliver(lateInvoice)).json()).toMatchObject({
          applied: true,
          credited: creator.monthlyCredits,
          subscription: { change: "none", reason: "subscription_ended" },
        });
        expect(await h.store.getBalance(userId)).toBe(balance + creator.monthlyCredits);
        expect((await h.store.getUser(userId))!.plan).toBe("pro");
        expect(await h.store.getSubscription(userId)).toMatchObject({ stripeSubscriptionId: "sub_new", plan: "pro", status: "active" });

        // The real subscription's deletion is not refused as stale.
        const deleted = await h.deliver(signedRequest(subscriptionEvent("customer.subscription.deleted", userId, { ...newSub, status: "canceled" })));
        expect(await deleted.json()).toMatchObject({
          applied: true,
          credited: 0,
          subscription: { change: "current", status: "canceled", plan: "free" },
          subscriptionStatus: "canceled",
        });
        expect((await h.store.getUser(userId))!.plan).toBe("free");
        expect(await h.store.getSubscription(userId)).toMatchObject({ stripeSubscriptionId: "sub_new", status: "canceled" });
        expect(await h.store.getBalance(userId)).toBe(balance + creator.monthlyCredits);
      }));

    it("an old subscription's event created before the newer one started, arriving before its deletion, does not take the plan back", () =>
      withHarness(async (h, userId) => {
        const now = Math.floor(Date.now() / 1000);
        const oldSub = { subscriptionId: "sub_old", planId: "creator" };
        const newSub = { subscriptionId: "sub_new", planId: "pro" };
        await h.deliver(signedRequest(createdAt(subscriptionEvent("customer.subscription.created", userId, oldSub), now - 300)));
        await h.deliver(signedRequest(createdAt(subscriptionEvent("customer.subscription.created", userId, newSub), now)));
        expect((await h.store.getUser(userId))!.plan).toBe("pro");

        const late = createdAt(subscriptionEvent("customer.subscription.updated", userId, { ...oldSub, status: "active" }), now - 200);
        expect(await (await h.deliver(signedRequest(late))).json()).toMatchObject({
          applied: false,
          reason: "not_current",
          subscription: { change: "none", reason: "not_current" },
        });
        const deleted = createdAt(subscriptionEvent("customer.subscription.deleted", userId, { ...oldSub, status: "canceled" }), now - 100);
        expect(await (await h.deliver(signedRequest(deleted))).json()).toMatchObject({ applied: true, subscription: { change: "ended" } });
        expect((await h.store.getUser(userId))!.plan).toBe("pro");
        expect(await h.store.getSubscription(userId)).toMatchObject({ stripeSubscriptionId: "sub_new", status: "active" });

        // Remembered as ended: even a newer-looking event of it changes nothing now.
        await h.deliver(signedRequest(createdAt(subscriptionEvent("customer.subscription.updated", userId, oldSub), now + 100)));
        expect((await h.store.getUser(userId))!.plan).toBe("pro");
      }));

    it("a failed first payment leaves the subscription incomplete: no credits, no paid plan, but the customer is known", () =>
      withHarness(async (h, userId) => {
        const res = await h.deliver(
          signedRequest(invoiceEvent("invoice.payment_failed", userId, { invoiceId: "in_fail", billingReason: "subscription_create" })),
        );
        expect(res.status).toBe(200);
        expect(await h.store.getBalance(userId)).toBe(100);
        expect((await h.store.getUser(userId))!.plan).toBe("free");
        expect(await h.store.getSubscription(userId)).toMatchObject({ status: "incomplete", stripeCustomerId: "cus_test_1" });
      }));

    it("an event for a user this server does not know is acknowledged and changes nothing", () =>
      withHarness(async (h, userId) => {
        const res = await h.deliver(signedRequest(packCheckoutCompleted("user-that-does-not-exist")));
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ received: true, applied: false, reason: "unknown_user" });
        expect(await h.store.getBalance(userId)).toBe(100);
      }));
  });
}
