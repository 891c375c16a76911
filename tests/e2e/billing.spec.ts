import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import Stripe from "stripe";
import { startFakeStripe, type FakeStripe } from "../fixtures/stripe-server/server";
import { signUp, uniqueEmail } from "./support/accounts";
import { E2E_DIST_DIR, EXTERNAL_SERVICES } from "./support/env";

/**
 * Billing end to end. Unconfigured: the default e2e server (no Stripe).
 * Configured: this file starts the fake Stripe API in-process and a second
 * `next start` of the same production build (the one playwright.config.ts's
 * webServer built) on a free port, with STRIPE_* pointing at the fake —
 * so playwright.config.ts needs no change.
 */

/** The Stripe-configured server's origin, set in beforeAll. */
let base = "";
const WEBHOOK_SECRET = "whsec_e2e_billing_0123456789";
test("without Stripe, the pricing page shows prices and says buying is not configured", async ({ page, baseURL }) => {
  await page.goto("/pricing");
  await expect(page.getByRole("heading", { name: "Pricing", level: 1 })).toBeVisible();
  await expect(page.getByTestId("payments-disabled")).toContainText("Buying is not configured on this server");
  await expect(page.getByRole("main").getByRole("link", { name: "Sign in to buy" }).first()).toBeVisible();

  await signUp(page, "Buyer", uniqueEmail("nopay"), baseURL!);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pricing" }).click();
  await expect(page).toHaveURL(/\/pricing$/);
  await expect(page.getByTestId("payments-disabled")).toBeVisible();
  await expect(page.getByTestId("pricing-balance")).toHaveText("100");
  await expect(page.getByTestId("current-plan")).toHaveText("Free");
  await expect(page.getByRole("button", { name: /^Buy 500 credits/ })).toBeDisabled();
  await expect(page.getByRole("button", { name: /^Subscribe to Creator/ })).toBeDisabled();
});

test.describe("with Stripe configured (fake Stripe API)", () => {
  let fake: FakeStripe;
  let server: ChildProcess | undefined;
  let serverLog = "";

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    fake = await startFakeStripe();
    const port = await freePort();
    base = `http://localhost:${port}`;
    const dataDir = path.join(".data", "e2e-billing");
    rmSync(dataDir, { recursive: true, force: true });
    server = spawn(path.join("node_modules", ".bin", "next"), ["start", "-p", String(port)], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ...Object.fromEntries(EXTERNAL_SERVICES.map((name) => [name, ""])),
        DATA_DIR: dataDir,
        APP_URL: base,
        NEXT_TELEMETRY_DISABLED: "1",
        // The suite's production build (playwright.config.ts).
        NEXT_DIST_DIR: E2E_DIST_DIR,
        STRIPE_SECRET_KEY: "sk_test_e2e_fake",
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_BASE: fake.url,
      },
    });
    server.stdout?.on("data", (c: Buffer) => (serverLog += c.toString()));
    server.stderr?.on("data", (c: Buffer) => (serverLog += c.toString()));
    await waitForServer(base, server, () => serverLog);
  });

  test.afterAll(async () => {
    if (server?.pid && server.exitCode === null) process.kill(-server.pid, "SIGTERM");
    await fake?.close();
  });

  test("buying a pack goes to the Stripe URL, and the paid webhook raises the balance by the pack's credits", async ({ page, request }, testInfo) => {
    await signUp(page, "Buyer", uniqueEmail("buyer"), base);
    await expect(page.getByTestId("credit-balance")).toHaveText("100");

    await page.goto(`${base}/pricing`);
    await expect(page.getByTestId("payments-disabled")).toHaveCount(0);
    await page.getByRole("button", { name: /^Buy 2,000 credits/ }).click();

    // The browser lands on the page the fake Stripe returned as the session's url.
    await expect(page).toHaveURL(`${fake.url}/checkout/cs_test_1`);
    await expect(page.getByRole("heading", { name: "Fake Stripe checkout" })).toBeVisible();

    const [created] = fake.requestsTo("/v1/checkout/sessions");
    expect(created.form).toMatchObject({ mode: "payment", "metadata[id]": "pack-2000", "metadata[credits]": "2000" });
    expect(created.idempotencyKey).toMatch(/^checkout:/);

    // Stripe sends the buyer back; the dashboard waits for the payment's confirmation.
    await page.goto(`${base}/dashboard?checkout=success`);
    await expect(page.getByRole("status").filter({ hasText: "checkout complete" })).toBeVisible();
    await expect(page.getByTestId("credit-balance")).toHaveText("100");

    // Stripe reports the payment: a signed checkout.session.completed with what the app sent.
    const userId = created.form["metadata[userId]"];
    const paid = await deliver(request, {
      id: "evt_e2e_1",
      type: "checkout.session.completed",
      object: {
        id: "cs_test_1",
        object: "checkout.session",
        mode: "payment",
        payment_status: "paid",
        client_reference_id: created.form.client_reference_id,
        metadata: {
          userId,
          kind: created.form["metadata[kind]"],
          id: created.form["metadata[id]"],
          credits: created.form["metadata[credits]"],
        },
      },
    });
    expect(paid).toMatchObject({ received: true, applied: true, credited: 2000 });
    // No reload: the dashboard refreshes itself while it waits.
    await expect(page.getByTestId("credit-balance")).toHaveText("2100");

    // A Creator subscription's first paid invoice: monthly credits, the plan, and the portal.
    const invoice = await deliver(request, {
      id: "evt_e2e_2",
      type: "invoice.paid",
      object: {
        id: "in_e2e_1",
        object: "invoice",
        customer: "cus_e2e",
        billing_reason: "subscription_create",
        parent: {
          type: "subscription_details",
          subscription_details: { subscription: "sub_e2e", metadata: { userId, kind: "plan", id: "creator", credits: "1500" } },
        },
        lines: { object: "list", data: [{ id: "il_1", object: "line_item", period: { start: 1_900_000_000, end: 1_902_592_000 } }] },
      },
    });
    expect(invoice).toMatchObject({ applied: true, credited: 1500 });

    await page.goto(`${base}/pricing`);
    await expect(page.getByTestId("pricing-balance")).toHaveText("3,600");
    await expect(page.getByTestId("current-plan")).toHaveText("Creator");
    await expect(page.getByTestId("plan-creator")).toContainText("Current plan");
    // For a look: AUTOCREA_BILLING_SCREENSHOT=/tmp/pricing.png npx playwright test tests/e2e/billing.spec.ts
    await page.screenshot({ path: process.env.AUTOCREA_BILLING_SCREENSHOT ?? testInfo.outputPath("pricing-subscribed.png"), fullPage: true });
    await page.getByRole("button", { name: "Manage subscription" }).click();
    await expect(page).toHaveURL(new RegExp(`^${fake.url}/portal/bps_test_\\d+$`));
    expect(fake.requestsTo("/v1/billing_portal/sessions")[0].form).toMatchObject({ customer: "cus_e2e" });
  });
});

/** Signs an event like Stripe does and POSTs it to the app's webhook; returns the JSON answer. */
async function deliver(request: APIRequestContext, evt: { id: string; type: string; object: Record<string, unknown> }) {
  const payload = JSON.stringify({
    id: evt.id,
    object: "event",
    type: evt.type,
    created: Math.floor(Date.now() / 1000),
    data: { object: evt.object },
  });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const response = await request.post(`${base}/api/webhooks/stripe`, {
    data: payload,
    headers: { "content-type": "application/json", "stripe-signature": signature },
  });
  expect(response.status()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForServer(base: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${log()}`);
    try {
      await fetch(`${base}/api/health`); // any answer: the server is up (health may flag optional services)
      return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`next start did not start listening:\n${log()}`);
}
