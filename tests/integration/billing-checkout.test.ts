import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as checkout } from "@/app/api/billing/checkout/route";
import { POST as portal } from "@/app/api/billing/portal/route";
import { getStore } from "@/lib/store";
import { startFakeStripe, type FakeStripe } from "../fixtures/stripe-server/server";
import { APP_URL, jsonPost, openTestApp, signUp as signUpUser } from "./support/app";

/**
 * Checkout and portal through the route handlers against a fake Stripe API
 * (tests/fixtures/stripe-server) reached by the official client via STRIPE_API_BASE.
 */

const STRIPE_VARS = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"] as const;
const ctx = undefined;
let fake: FakeStripe;

beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake.close();
});

const signUp = () => signUpUser({ name: "Buyer", email: `buyer-${Math.random().toString(36).slice(2)}@example.com` });

const post = (path: string, body: unknown, cookie: string) => jsonPost(path, body, { cookie, origin: APP_URL });

describe("billing with Stripe configured", () => {
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    fake.requests.length = 0;
    cleanup = await openTestApp({ STRIPE_SECRET_KEY: "sk_test_fake_123", STRIPE_WEBHOOK_SECRET: "whsec_x", STRIPE_API_BASE: fake.url });
  });
  afterEach(async () => {
    for (const name of STRIPE_VARS) delete process.env[name];
    await cleanup();
  });

  it("a pack checkout creates a payment-mode session with the pack's price, the user's id and metadata, and an Idempotency-Key", async () => {
    const { user, cookie } = await signUp();
    const res = await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-2000", nonce: "nonce-abc-123" }, cookie), ctx);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({ id: "cs_test_1", url: `${fake.url}/checkout/cs_test_1` });

    const [call] = fake.requestsTo("/v1/checkout/sessions");
    expect(call.method).toBe("POST");
    expect(call.authorization).toBe("Bearer sk_test_fake_123");
    expect(call.idempotencyKey).toBe(`checkout:${user.id}:pack:pack-2000:nonce-abc-123`);
    expect(call.form).toMatchObject({
      mode: "payment",
      client_reference_id: user.id,
      customer_email: user.email,
      success_url: `${APP_URL}/dashboard?checkout=success`,
      cancel_url: `${APP_URL}/pricing?checkout=canceled`,
      "line_items[0][quantity]": "1",
      "line_items[0][price_data][currency]": "usd",
      "line_items[0][price_data][unit_amount]": "1800",
      "metadata[userId]": user.id,
      "metadata[kind]": "pack",
      "metadata[id]": "pack-2000",
      "metadata[credits]": "2000",
    });
    expect(call.form["line_items[0][price_data][recurring][interval]"]).toBeUndefined();
  });

  it("a double click (same nonce) sends the same Idempotency-Key and gets the same session back", async () => {
    const { cookie } = await signUp();
    const bodies = await Promise.all(
      [1, 2].map(async () =>
        (await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-500", nonce: "double-click-1" }, cookie), ctx)).json(),
      ),
    );
    expect(bodies[0]).toEqual(bodies[1]);
    const keys = fake.requestsTo("/v1/checkout/sessions").map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("a plan checkout creates a monthly subscription session whose subscription carries the user id", async () => {
    const { user, cookie } = await signUp();
    const res = await checkout(post("/api/billing/checkout", { kind: "plan", id: "creator" }, cookie), ctx);
    expect(res.status).toBe(200);
    const [call] = fake.requestsTo("/v1/checkout/sessions");
    expect(call.idempotencyKey).toMatch(new RegExp(`^checkout:${user.id}:plan:creator:t\\d+$`));
    expect(call.form).toMatchObject({
      mode: "subscription",
      client_reference_id: user.id,
      "line_items[0][price_data][unit_amount]": "1200",
      "line_items[0][price_data][recurring][interval]": "month",
      "metadata[kind]": "plan",
      "metadata[id]": "creator",
      "subscription_data[metadata][userId]": user.id,
      "subscription_data[metadata][id]": "creator",
      "subscription_data[metadata][credits]": "1500",
    });
  });

  it("an existing Stripe customer is reused; a second plan while subscribed is refused with 409", async () => {
    const { user, cookie } = await signUp();
    const store = await getStore();
    await store.recordWebhookEvent("stripe", "evt_setup", {
      subscription: { userId: user.id, stripeCustomerId: "cus_known", stripeSubscriptionId: "sub_1", plan: "creator", status: "active", currentPeriodEnd: 0 },
    });
    const pack = await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-500" }, cookie), ctx);
    expect(pack.status).toBe(200);
    expect(fake.requestsTo("/v1/checkout/sessions")[0].form).toMatchObject({ customer: "cus_known" });
    expect(fake.requestsTo("/v1/checkout/sessions")[0].form.customer_email).toBeUndefined();

    const plan = await checkout(post("/api/billing/checkout", { kind: "plan", id: "pro" }, cookie), ctx);
    expect(plan.status).toBe(409);
    expect(await plan.json()).toMatchObject({ error: "already_subscribed" });
  });

  it("rejects unknown items (404), bad input (400), strangers (401), other sites (403) and bursts (429)", async () => {
    const { cookie } = await signUp();
    expect((await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-1" }, cookie), ctx)).status).toBe(404);
    const bad = await checkout(post("/api/billing/checkout", { kind: "gift", id: "pack-500" }, cookie), ctx);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_request" });
    expect((await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-500", nonce: "x" }, cookie), ctx)).status).toBe(400);
    expect((await checkout(jsonPost("/api/billing/checkout", { kind: "pack", id: "pack-500" }), ctx)).status).toBe(401);
    const foreign = jsonPost("/api/billing/checkout", { kind: "pack", id: "pack-500" }, { cookie, origin: "https://evil.example" });
    expect((await checkout(foreign, ctx)).status).toBe(403);
    expect(fake.requestsTo("/v1/checkout/sessions")).toHaveLength(0);

    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-500" }, cookie), ctx)).status);
    }
    expect(statuses).toContain(429);
  });

  it("the portal needs a known customer: 409 before any subscription, a portal URL after", async () => {
    const { user, cookie } = await signUp();
    const none = await portal(post("/api/billing/portal", {}, cookie), ctx);
    expect(none.status).toBe(409);
    expect(await none.json()).toMatchObject({ error: "no_billing_account", message: expect.stringMatching(/subscri/i) });

    await (await getStore()).recordWebhookEvent("stripe", "evt_sub", {
      subscription: { userId: user.id, stripeCustomerId: "cus_portal", stripeSubscriptionId: "sub_p", plan: "creator", status: "active", currentPeriodEnd: 0 },
    });
    const res = await portal(post("/api/billing/portal", {}, cookie), ctx);
    expect(res.status).toBe(200);
    expect((await res.json()).url).toMatch(new RegExp(`^${fake.url}/portal/bps_test_\\d+$`));
    expect(fake.requestsTo("/v1/billing_portal/sessions")[0].form).toEqual({ customer: "cus_portal", return_url: `${APP_URL}/pricing` });
  });

  it("a Stripe failure is a clear 502, not a 500", async () => {
    const { cookie } = await signUp();
    await fake.close();
    try {
      const res = await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-500" }, cookie), ctx);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: "stripe_error", message: expect.any(String) });
    } finally {
      fake = await startFakeStripe({ port: fake.port });
    }
  });
});

describe("billing without Stripe", () => {
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    for (const name of STRIPE_VARS) delete process.env[name];
    cleanup = await openTestApp();
  });
  afterEach(async () => {
    await cleanup();
  });

  it("checkout and portal answer 503 payments_disabled with a message", async () => {
    const { cookie } = await signUp();
    for (const res of [
      await checkout(post("/api/billing/checkout", { kind: "pack", id: "pack-500" }, cookie), ctx),
      await portal(post("/api/billing/portal", {}, cookie), ctx),
    ]) {
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: "payments_disabled", message: expect.stringMatching(/not configured/), requestId: expect.any(String) });
    }
  });

  it("the webhook answers 503 without a webhook secret", async () => {
    const { POST } = await import("@/app/api/webhooks/stripe/route");
    const res = await POST(new Request(`${APP_URL}/api/webhooks/stripe`, { method: "POST", body: "{}" }), ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "payments_disabled" });
  });
});
