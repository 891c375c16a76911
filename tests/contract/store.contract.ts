/**
 * The behaviour every Store adapter must have (docs/architecture.md, docs/data-model.md). Run by
 * tests/contract/sqlite.test.ts and tests/contract/convex.test.ts.
 * Runs in Node and in the edge runtime: no Node-only imports here.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "@/lib/files/paths";
import {
  TRIAL_CREDITS,
  isStoreError,
  type Plan,
  type Store,
  type StoreErrorCode,
  type SubscriptionStatus,
  type User,
  type WebhookEffects,
} from "@/lib/store/types";

export interface OpenedStore {
  store: Store;
  close: () => Promise<void>;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected StoreError "${code}", but the call succeeded`).toBeDefined();
  expect(isStoreError(caught, code), `expected StoreError "${code}", got ${String(caught)}`).toBe(true);
}

export function describeStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    let userCount = 0;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    async function newUser(label = "user"): Promise<User> {
      userCount += 1;
      const { user } = await store.ensureUser({
        externalId: `ext_${label}_${userCount}`,
        email: `${label}${userCount}@example.com`,
        name: label,
      });
      return user;
    }

    async function ledgerSum(userId: string): Promise<number> {
      const entries = await store.listLedger(userId, 10_000);
      return entries.reduce((sum, e) => sum + e.delta, 0);
    }

    describe("users", () => {
      it("ensureUser creates once and then returns the same user", async () => {
        const first = await store.ensureUser({ externalId: "user_abc", email: "Ada@Example.COM", name: "Ada" });
        expect(first.created).toBe(true);
        expect(first.user).toMatchObject({ externalId: "user_abc", email: "ada@example.com", name: "Ada", plan: "free" });

        const second = await store.ensureUser({ externalId: "user_abc", email: "ada@example.com", name: "Ada" });
        expect(second.created).toBe(false);
        expect(second.user.id).toBe(first.user.id);

        expect((await store.getUser(first.user.id))?.externalId).toBe("user_abc");
        expect((await store.getUserByExternalId("user_abc"))?.id).toBe(first.user.id);
        expect((await store.getUserByEmail("ADA@example.com"))?.id).toBe(first.user.id);
        expect(await store.getUserByExternalId("nobody")).toBeNull();
      });

      it("a different externalId with a taken email (any case) is a conflict", async () => {
        await store.ensureUser({ externalId: "user_1", email: "grace@example.com" });
        await expectStoreError(store.ensureUser({ externalId: "user_2", email: "GRACE@example.com" }), "conflict");
        expect(await store.getUserByExternalId("user_2")).toBeNull();
      });

      it("a new user gets the trial grant exactly once", async () => {
        const user = await newUser();
        expect(user.tokenBalance).toBe(TRIAL_CREDITS);
        expect(TRIAL_CREDITS).toBe(100);
        expect(await store.getBalance(user.id)).toBe(100);

        const ledger = await store.listLedger(user.id);
        expect(ledger).toHaveLength(1);
        expect(ledger[0]).toMatchObject({ delta: 100, reason: "trial", idempotencyKey: `trial:${user.id}` });

        const again = await store.grantCredits(user.id, 100, "trial", `trial:${user.id}`);
        expect(again).toEqual({ applied: false, balance: 100 });
        await store.ensureUser({ externalId: user.externalId, email: user.email });
        expect(await store.getBalance(user.id)).toBe(100);
        expect(await store.listLedger(user.id)).toHaveLength(1);
      });

      it("setUserPlan changes the plan", async () => {
        const user = await newUser();
        await store.setUserPlan(user.id, "creator");
        expect((await store.getUser(user.id))?.plan).toBe("creator");
        await store.setUserPlan(user.id, "pro");
        expect((await store.getUser(user.id))?.plan).toBe("pro");
      });
    });

    describe("credits", () => {
      it("grantCredits is idempotent by key and rejects amounts that are not positive whole numbers", async () => {
        const user = await newUser();
        expect(await store.grantCredits(user.id, 50, "purchase", "checkout:cs_1")).toEqual({ applied: true, balance: 150 });
        expect(await store.grantCredits(user.id, 50, "purchase", "checkout:cs_1")).toEqual({ applied: false, balance: 150 });
        for (const amount of [0, -5, 1.5]) {
          await expectStoreError(store.grantCredits(user.id, amount, "adjustment", `bad:${amount}`), "invalid");
        }
        expect(await store.getBalance(user.id)).toBe(150);
      });

      it("a reservation larger than the balance is refused with {required, available} and writes nothing", async () => {
        const user = await newUser();
        const ledgerBefore = await store.listLedger(user.id);

        const result = await store.reserveCredits(user.id, 101, "run-1");
        expect(result).toEqual({ ok: false, reason: "insufficient", required: 101, available: 100 });

        expect(await store.getBalance(user.id)).toBe(100);
        expect(await store.listLedger(user.id)).toEqual(ledgerBefore);
        // The key was not consumed: the same run can reserve once credits arrive.
        await store.grantCredits(user.id, 1, "adjustment", "topup");
        expect((await store.reserveCredits(user.id, 101, "run-1")).ok).toBe(true);
      });

      it("reserving writes a negative generation entry and is idempotent by key", async () => {
        const user = await newUser();
        const first = await store.reserveCredits(user.id, 30, "run-1");
        if (!first.ok) throw new Error("reservation refused");
        expect(first.balance).toBe(70);
        expect(first.reservation).toMatchObject({ userId: user.id, amount: 30, spent: 0, status: "open", settledAt: null });

        const again = await store.reserveCredits(user.id, 30, "run-1");
        expect(again.ok && again.reservation.id).toBe(first.reservation.id);
        expect(await store.getBalance(user.id)).toBe(70);

        const ledger = await store.listLedger(user.id);
        expect(ledger.filter((e) => e.reason === "generation").map((e) => e.delta)).toEqual([-30]);
        expect(await store.getReservation(first.reservation.id)).toMatchObject({ amount: 30, status: "open" });
      });

      it("200 concurrent reservations never overdraw: exactly floor(balance / amount) succeed", async () => {
        const user = await newUser();
        const amount = 7;
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => store.reserveCredits(user.id, amount, `concurrent-${i}`)),
        );
        const succeeded = results.filter((r) => r.ok);
        expect(succeeded).toHaveLength(Math.floor(100 / amount));
        for (const r of results) {
          if (!r.ok) expect(r).toMatchObject({ reason: "insufficient", required: amount });
          if (!r.ok) expect(r.available).toBeLessThan(amount);
        }
        expect(await store.getBalance(user.id)).toBe(100 % amount);
        expect(await ledgerSum(user.id)).toBe(100 % amount);
      });

      it("charges are capped at the reservation; settling refunds the rest once", async () => {
        const user = await newUser();
        const reserved = await store.reserveCredits(user.id, 30, "run-1");
        if (!reserved.ok) throw new Error("reservation refused");
        const id = reserved.reservation.id;

        expect(await store.chargeReservation(id, 10)).toEqual({ charged: 10, spent: 10, remaining: 20, exhausted: false });
        expect(await store.chargeReservation(id, 5)).toEqual({ charged: 5, spent: 15, remaining: 15, exhausted: false });

        const settled = await store.settleReservation(id);
        expect(settled.refunded).toBe(15);
        expect(settled.balance).toBe(85);
        expect(settled.reservation).toMatchObject({ status: "settled", spent: 15, amount: 30 });
        expect(settled.reservation.settledAt).not.toBeNull();

        const twice = await store.settleReservation(id);
        expect(twice).toEqual(settled);
        expect(await store.getBalance(user.id)).toBe(85);
        const refunds = (await store.listLedger(user.id)).filter((e) => e.reason === "refund");
        expect(refunds.map((e) => e.delta)).toEqual([15]);

        await expectStoreError(store.chargeReservation(id, 1), "conflict");
        expect(await ledgerSum(user.id)).toBe(85);
      });

      it("a charge larger than what remains is cut to the remainder and marks the reservation exhausted", async () => {
        const user = await newUser();
        const reserved = await store.reserveCredits(user.id, 20, "run-1");
        if (!reserved.ok) throw new Error("reservation refused");
        const id = reserved.reservation.id;

        expect(await store.chargeReservation(id, 12)).toEqual({ charged: 12, spent: 12, remaining: 8, exhausted: false });
        expect(await store.chargeReservation(id, 50)).toEqual({ charged: 8, spent: 20, remaining: 0, exhausted: true });
        expect(await store.chargeReservation(id, 1)).toEqual({ charged: 0, spent: 20, remaining: 0, exhausted: true });

        const settled = await store.settleReservation(id);
        expect(settled.refunded).toBe(0);
        expect(settled.balance).toBe(80);
        expect(await ledgerSum(user.id)).toBe(80);
      });

      it("the ledger always sums to the cached balance", async () => {
        const user = await newUser();
        await store.grantCredits(user.id, 40, "purchase", "p1");
        const a = await store.reserveCredits(user.id, 60, "a");
        const b = await store.reserveCredits(user.id, 25, "b");
        if (!a.ok || !b.ok) throw new Error("reservation refused");
        await store.chargeReservation(a.reservation.id, 33);
        await store.settleReservation(a.reservation.id);
        await store.chargeReservation(b.reservation.id, 100);
        await store.settleReservation(b.reservation.id);

        const balance = await store.getBalance(user.id);
        expect(balance).toBe(140 - 33 - 25);
        expect(await ledgerSum(user.id)).toBe(balance);
        expect((await store.getUser(user.id))?.tokenBalance).toBe(balance);
      });
    });

    describe("webhook events", () => {
      it("an event is applied once; a redelivery is a duplicate and changes nothing", async () => {
        const user = await newUser();
        const effects = { grant: { userId: user.id, amount: 500, reason: "purchase" as const, idempotencyKey: "cs_1" } };
        expect(await store.recordWebhookEvent("stripe", "evt_1", effects)).toMatchObject({ kind: "first" });
        expect(await store.recordWebhookEvent("stripe", "evt_1", effects)).toEqual({ kind: "duplicate" });
        expect(await store.getBalance(user.id)).toBe(600);
        // The same id from another source is a different event.
        expect(await store.recordWebhookEvent("clerk", "evt_1")).toMatchObject({ kind: "first" });
      });

      it("five concurrent deliveries of one event apply its grant once", async () => {
        const user = await newUser();
        const effects = { grant: { userId: user.id, amount: 250, reason: "purchase" as const, idempotencyKey: "cs_2" } };
        const outcomes = await Promise.all(
          Array.from({ length: 5 }, () => store.recordWebhookEvent("stripe", "evt_concurrent", effects)),
        );
        expect(outcomes.filter((o) => o.kind === "first")).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === "duplicate")).toHaveLength(4);
        expect(await store.getBalance(user.id)).toBe(350);
        expect(await ledgerSum(user.id)).toBe(350);
      });

      it("a failing effect records nothing, so the redelivery is applied", async () => {
        const user = await newUser();
        await expect(
          store.recordWebhookEvent("stripe", "evt_bad", {
            grant: { userId: user.id, amount: -3, reason: "purchase", idempotencyKey: "bad" },
          }),
        ).rejects.toThrow();
        const retry = await store.recordWebhookEvent("stripe", "evt_bad", {
          grant: { userId: user.id, amount: 3, reason: "purchase", idempotencyKey: "good" },
        });
        expect(retry).toMatchObject({ kind: "first" });
        expect(await store.getBalance(user.id)).toBe(103);
      });

      it("a subscription effect upserts the subscription and sets the plan while it is active", async () => {
        const user = await newUser();
        const sub = {
          userId: user.id,
          stripeCustomerId: "cus_1",
          stripeSubscriptionId: "sub_1",
          plan: "creator" as const,
          status: "active" as const,
          currentPeriodEnd: 1_900_000_000_000,
        };
        expect(await store.getSubscription(user.id)).toBeNull();
        await store.recordWebhookEvent("stripe", "evt_sub_1", {
          subscription: sub,
          grant: { userId: user.id, amount: 1000, reason: "subscription", idempotencyKey: "in_1" },
        });
        expect(await store.getSubscription(user.id)).toEqual(sub);
        expect((await store.getUser(user.id))?.plan).toBe("creator");
        expect(await store.getBalance(user.id)).toBe(1100);

        await store.recordWebhookEvent("stripe", "evt_sub_2", { subscription: { ...sub, status: "canceled" } });
        expect((await store.getSubscription(user.id))?.status).toBe("canceled");
        expect((await store.getUser(user.id))?.plan).toBe("free");
      });
    });

    describe("subscriptions: one rule, applied where the event is recorded", () => {
      type Observed = NonNullable<WebhookEffects["subscription"]>;
      let eventCount = 0;
      const observed = (userId: string, stripeSubscriptionId: string, status: SubscriptionStatus, plan: Plan = "creator"): Observed => ({
        userId,
        stripeSubscriptionId,
        plan,
        status,
        stripeCustomerId: "cus_1",
        currentPeriodEnd: 1_900_000_000_000,
      });
      const record = (effects: WebhookEffects, eventId = `evt_rule_${++eventCount}`) =>
        store.recordWebhookEvent("stripe", eventId, effects);
      const planOf = async (userId: string) => (await store.getUser(userId))?.plan;

      it("a late active update for an ended subscription changes nothing once a newer one started; the newer one's deletion then applies", async () => {
        const user = await newUser();
        await record({ subscription: observed(user.id, "sub_old", "active") });
        await record({ subscription: observed(user.id, "sub_old", "canceled") });
        expect(await planOf(user.id)).toBe("free");
        await record({ subscription: observed(user.id, "sub_new", "active", "pro") });
        expect(await planOf(user.id)).toBe("pro");

        expect(await record({ subscription: observed(user.id, "sub_old", "active") })).toEqual({
          kind: "first",
          granted: 0,
          subscription: { kind: "unchanged", reason: "subscription_ended" },
        });
        expect(await planOf(user.id)).toBe("pro");
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_new", status: "active", plan: "pro" });

        const deleted = await record({ subscription: observed(user.id, "sub_new", "canceled", "pro") });
        expect(deleted).toMatchObject({ kind: "first", subscription: { kind: "current", plan: "free" } });
        expect(await planOf(user.id)).toBe("free");
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_new", status: "canceled" });
        // Ended for good: neither of them comes back.
        await record({ subscription: observed(user.id, "sub_new", "active", "pro") });
        await record({ subscription: observed(user.id, "sub_old", "past_due") });
        expect(await planOf(user.id)).toBe("free");
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_new", status: "canceled" });
      });

      it("a late paid invoice of an ended subscription grants its credits once and leaves the plan alone", async () => {
        const user = await newUser();
        await record({ subscription: observed(user.id, "sub_old", "canceled") });
        await record({ subscription: observed(user.id, "sub_new", "active", "pro") });
        const invoice: WebhookEffects = {
          subscription: observed(user.id, "sub_old", "active"),
          grant: { userId: user.id, amount: 1500, reason: "subscription", idempotencyKey: "invoice:in_old_2" },
        };
        expect(await record(invoice)).toEqual({
          kind: "first",
          granted: 1500,
          subscription: { kind: "unchanged", reason: "subscription_ended" },
        });
        // The same invoice in another event: recorded, nothing granted again.
        expect(await record(invoice)).toEqual({
          kind: "first",
          granted: 0,
          subscription: { kind: "unchanged", reason: "subscription_ended" },
        });
        expect(await store.getBalance(user.id)).toBe(100 + 1500);
        expect(await planOf(user.id)).toBe("pro");
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_new", status: "active" });
      });

      it("the deletion of a subscription that is not the current one changes nothing, but is remembered", async () => {
        const user = await newUser();
        await record({ subscription: observed(user.id, "sub_a", "active") });
        await record({ subscription: observed(user.id, "sub_b", "active", "pro") });
        const before = await store.getSubscription(user.id);
        expect(before).toMatchObject({ stripeSubscriptionId: "sub_b", plan: "pro" });

        expect(await record({ subscription: observed(user.id, "sub_a", "canceled") })).toEqual({
          kind: "first",
          granted: 0,
          subscription: { kind: "ended" },
        });
        expect(await store.getSubscription(user.id)).toEqual(before);
        expect(await planOf(user.id)).toBe("pro");
        // Remembered: when the current one ends, the ended one's late news does not take its place.
        await record({ subscription: observed(user.id, "sub_b", "canceled", "pro") });
        expect(await record({ subscription: observed(user.id, "sub_a", "active") })).toMatchObject({
          subscription: { kind: "unchanged", reason: "subscription_ended" },
        });
        expect(await planOf(user.id)).toBe("free");
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_b", status: "canceled" });
      });

      it("another live subscription takes over only when it is entitled or the current one is not", async () => {
        const user = await newUser();
        await record({ subscription: observed(user.id, "sub_a", "active") });
        expect(await record({ subscription: observed(user.id, "sub_b", "incomplete", "pro") })).toMatchObject({
          subscription: { kind: "unchanged", reason: "not_current" },
        });
        expect(await planOf(user.id)).toBe("creator");
        await record({ subscription: observed(user.id, "sub_a", "past_due") });
        expect(await record({ subscription: observed(user.id, "sub_b", "active", "pro") })).toMatchObject({
          subscription: { kind: "current", plan: "pro" },
        });
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_b", status: "active" });
      });

      it("what an event does not carry is kept from the current row: the customer, and the same subscription's period end", async () => {
        const user = await newUser();
        await record({ subscription: observed(user.id, "sub_a", "active") });
        await record({ subscription: { userId: user.id, stripeSubscriptionId: "sub_a", plan: "creator", status: "past_due" } });
        expect(await store.getSubscription(user.id)).toEqual({
          userId: user.id,
          stripeCustomerId: "cus_1",
          stripeSubscriptionId: "sub_a",
          plan: "creator",
          status: "past_due",
          currentPeriodEnd: 1_900_000_000_000,
        });
        await record({ subscription: { userId: user.id, stripeSubscriptionId: "sub_b", plan: "pro", status: "active" } });
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeCustomerId: "cus_1", stripeSubscriptionId: "sub_b", currentPeriodEnd: 0 });
      });

      it("a redelivery is a duplicate and applies nothing, even after the state moved on", async () => {
        const user = await newUser();
        const effects = { subscription: observed(user.id, "sub_a", "active") };
        expect(await record(effects, "evt_rule_redelivered")).toMatchObject({ kind: "first", subscription: { kind: "current" } });
        await record({ subscription: observed(user.id, "sub_a", "canceled") });
        expect(await record(effects, "evt_rule_redelivered")).toEqual({ kind: "duplicate" });
        expect(await planOf(user.id)).toBe("free");
      });

      it("a late event of a subscription not yet known to have ended does not replace a current one written by a newer event", async () => {
        const user = await newUser();
        const at = (eventAt: number, o: Observed): Observed => ({ ...o, eventAt });
        await record({ subscription: at(1_000, observed(user.id, "sub_a", "active")) });
        await record({ subscription: at(3_000, observed(user.id, "sub_b", "active", "pro")) });
        // sub_a's "active" from before sub_b started, redelivered late, before sub_a's deletion arrives.
        expect(await record({ subscription: at(2_000, observed(user.id, "sub_a", "active")) })).toMatchObject({
          subscription: { kind: "unchanged", reason: "not_current" },
        });
        expect(await record({ subscription: at(2_500, observed(user.id, "sub_a", "canceled")) })).toMatchObject({
          subscription: { kind: "ended" },
        });
        expect(await planOf(user.id)).toBe("pro");
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_b", status: "active" });
      });

      it("concurrent news of two subscriptions end in one state, whatever the order they are applied in", async () => {
        const user = await newUser();
        const at = (eventAt: number, o: Observed): Observed => ({ ...o, eventAt });
        await record({ subscription: at(1_000, observed(user.id, "sub_a", "active")) });
        await Promise.all([
          record({ subscription: at(2_000, observed(user.id, "sub_a", "canceled")) }),
          record({ subscription: at(3_000, observed(user.id, "sub_b", "active", "pro")) }),
          record({ subscription: at(1_500, observed(user.id, "sub_a", "active")) }),
        ]);
        // sub_a ended and sub_b is live: only sub_b can be current.
        expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_b", status: "active" });
        expect(await planOf(user.id)).toBe("pro");
      });
    });

    describe("projects", () => {
      it("creates, lists, gets and updates a project", async () => {
        const user = await newUser();
        const project = await store.createProject(user.id, { name: "Todo app", prompt: "a todo app", framework: "nextjs" });
        expect(project).toMatchObject({ userId: user.id, name: "Todo app", prompt: "a todo app", framework: "nextjs", status: "pending" });
        expect(await store.getProject(user.id, project.id)).toEqual(project);
        expect((await store.listProjects(user.id)).map((p) => p.id)).toEqual([project.id]);

        const updated = await store.updateProject(user.id, project.id, { status: "generating", description: "Tasks" });
        expect(updated).toMatchObject({ id: project.id, name: "Todo app", status: "generating", description: "Tasks" });
        expect(await store.getProject(user.id, project.id)).toEqual(updated);
      });

      it("remembers the model picked for a project: null by default, set, kept when absent from a patch, forgotten with null", async () => {
        const user = await newUser();
        const plain = await store.createProject(user.id, { name: "Plain" });
        expect(plain.model).toBeNull();
        expect((await store.getProject(user.id, plain.id))?.model).toBeNull();

        const picked = await store.createProject(user.id, { name: "Picked", model: "platform:openai:gpt-6-luna" });
        expect(picked.model).toBe("platform:openai:gpt-6-luna");
        expect((await store.listProjects(user.id)).find((p) => p.id === picked.id)?.model).toBe("platform:openai:gpt-6-luna");
        expect(await store.createProject(user.id, { name: "Null", model: null })).toMatchObject({ model: null });

        const endpointModel = `endpoint:${"e".repeat(40)}:qwen3-coder:30b`;
        expect(await store.updateProject(user.id, plain.id, { model: endpointModel })).toMatchObject({ model: endpointModel });
        expect(await store.updateProject(user.id, plain.id, { description: "kept" })).toMatchObject({ model: endpointModel, description: "kept" });
        expect((await store.getProject(user.id, plain.id))?.model).toBe(endpointModel);
        expect(await store.updateProject(user.id, plain.id, { model: null })).toMatchObject({ model: null });
        expect((await store.getProject(user.id, plain.id))?.model).toBeNull();
      });

      it("names are unique per user; another user may reuse a name", async () => {
        const alice = await newUser("alice");
        const bob = await newUser("bob");
        await store.createProject(alice.id, { name: "Shop" });
        await expectStoreError(store.createProject(alice.id, { name: "Shop" }), "conflict");
        await expect(store.createProject(bob.id, { name: "Shop" })).resolves.toMatchObject({ userId: bob.id });

        const other = await store.createProject(alice.id, { name: "Blog" });
        await expectStoreError(store.updateProject(alice.id, other.id, { name: "Shop" }), "conflict");
        expect(await store.listProjects(alice.id)).toHaveLength(2);
        await expectStoreError(store.createProject(alice.id, { name: "   " }), "invalid");
      });

      it("another user's project behaves as if it did not exist", async () => {
        const owner = await newUser("owner");
        const intruder = await newUser("intruder");
        const project = await store.createProject(owner.id, { name: "Private" });
        await store.saveFiles(owner.id, project.id, { files: [{ path: "a.ts", content: "a" }], message: "init" });
        const deployment = await store.createDeployment(owner.id, project.id, "vercel");

        expect(await store.getProject(intruder.id, project.id)).toBeNull();
        expect(await store.listProjects(intruder.id)).toEqual([]);
        expect(await store.getFile(intruder.id, project.id, "a.ts")).toBeNull();
        expect(await store.getVersion(intruder.id, project.id, 1)).toBeNull();
        await expectStoreError(store.listFiles(intruder.id, project.id), "not_found");
        await expectStoreError(
          store.saveFiles(intruder.id, project.id, { files: [{ path: "a.ts", content: "pwned" }], message: "x" }),
          "not_found",
        );
        await expectStoreError(store.updateProject(intruder.id, project.id, { name: "Mine" }), "not_found");
        await expectStoreError(store.listVersions(intruder.id, project.id), "not_found");
        await expectStoreError(store.getVersionFiles(intruder.id, project.id, 1), "not_found");
        await expectStoreError(store.restoreVersion(intruder.id, project.id, 1), "not_found");
        await expectStoreError(store.createDeployment(intruder.id, project.id, "netlify"), "not_found");
        await expectStoreError(store.listDeployments(intruder.id, project.id), "not_found");
        await expectStoreError(store.updateDeployment(intruder.id, deployment.id, { status: "canceled" }), "not_found");
        await expectStoreError(
          store.startGenerationStep(intruder.id, { projectId: project.id, runId: "r", role: "architect" }),
          "not_found",
        );

        // Nothing changed for the owner.
        expect((await store.getProject(owner.id, project.id))?.name).toBe("Private");
        expect((await store.getFile(owner.id, project.id, "a.ts"))?.content).toBe("a");
        expect(await store.listVersions(owner.id, project.id)).toHaveLength(1);
        expect((await store.listDeployments(owner.id, project.id))[0].status).toBe("pending");
      });
    });

    describe("files and versions", () => {
      it("each save records the next version with a manifest of the whole tree", async () => {
        const user = await newUser();
        const project = await store.createProject(user.id, { name: "App" });

        const v1 = await store.saveFiles(user.id, project.id, {
          files: [
            { path: "src/index.ts", content: "export const a = 1;\n" },
            { path: "README.md", content: "# App\n" },
          ],
          message: "Initial generation",
        });
        expect(v1).toMatchObject({ projectId: project.id, number: 1, parent: null, message: "Initial generation" });
        expect(v1.manifest).toEqual({
          "README.md": await sha256("# App\n"),
          "src/index.ts": await sha256("export const a = 1;\n"),
        });

        const v2 = await store.saveFiles(user.id, project.id, {
          files: [{ path: "src/styles.css", content: "body { margin: 0 }" }],
          deletes: ["README.md", "not-there.txt"],
          message: "Edit",
        });
        expect(v2).toMatchObject({ number: 2, parent: 1 });
        expect(Object.keys(v2.manifest).sort()).toEqual(["src/index.ts", "src/styles.css"]);

        const files = await store.listFiles(user.id, project.id);
        expect(files.map((f) => [f.path, f.language, f.size])).toEqual([
          ["src/index.ts", "typescript", 20],
          ["src/styles.css", "css", 18],
        ]);
        expect((await store.getFile(user.id, project.id, "src/index.ts"))?.content).toBe("export const a = 1;\n");
        expect(await store.getFile(user.id, project.id, "README.md")).toBeNull();

        expect((await store.listVersions(user.id, project.id)).map((v) => v.number)).toEqual([2, 1]);
        expect(await store.getVersion(user.id, project.id, 1)).toEqual(v1);
        expect(await store.getVersionFiles(user.id, project.id, 1)).toEqual([
          { path: "README.md", content: "# App\n" },
          { path: "src/index.ts", content: "export const a = 1;\n" },
        ]);
        expect(await store.getVersion(user.id, project.id, 3)).toBeNull();
      });

      it("paths are stored in normalized form", async () => {
        const user = await newUser();
        const project = await store.createProject(user.id, { name: "App" });
        const v = await store.saveFiles(user.id, project.id, {
          files: [{ path: "./src//lib\\util.ts", content: "x" }],
          message: "m",
        });
        expect(Object.keys(v.manifest)).toEqual(["src/lib/util.ts"]);
        expect((await store.getFile(user.id, project.id, "src/lib/util.ts"))?.content).toBe("x");
      });

      it("restoring makes the tree equal to the old version and records a new version", async () => {
        const user = await newUser();
        const project = await store.createProject(user.id, { name: "App" });
        const v1 = await store.saveFiles(user.id, project.id, {
          files: [
            { path: "a.txt", content: "one" },
            { path: "b.txt", content: "two" },
          ],
          message: "v1",
        });
        await store.saveFiles(user.id, project.id, {
          files: [
            { path: "a.txt", content: "changed" },
            { path: "c.txt", content: "new" },
          ],
          deletes: ["b.txt"],
          message: "v2",
        });

        const v3 = await store.restoreVersion(user.id, project.id, 1);
        expect(v3).toMatchObject({ number: 3, parent: 2, message: "Restore version 1" });
        expect(v3.manifest).toEqual(v1.manifest);
        const tree = (await store.listFiles(user.id, project.id)).map((f) => ({ path: f.path, content: f.content }));
        expect(tree).toEqual(await store.getVersionFiles(user.id, project.id, 1));
        expect(tree).toEqual([
          { path: "a.txt", content: "one" },
          { path: "b.txt", content: "two" },
        ]);
        expect((await store.listVersions(user.id, project.id)).map((v) => v.number)).toEqual([3, 2, 1]);
        await expectStoreError(store.restoreVersion(user.id, project.id, 9), "not_found");
      });

      it("invalid paths and oversized files are refused and nothing is written", async () => {
        const user = await newUser();
        const project = await store.createProject(user.id, { name: "App" });
        const bad = ["../x", "/etc/passwd", "a\u0000b", "src/../../etc/passwd", "C:\\Windows\\x", "", "a".repeat(300)];
        for (const path of bad) {
          await expectStoreError(
            store.saveFiles(user.id, project.id, {
              files: [
                { path: "ok.txt", content: "ok" },
                { path, content: "x" },
              ],
              message: "bad",
            }),
            "invalid",
          );
        }
        await expectStoreError(
          store.saveFiles(user.id, project.id, { files: [], deletes: ["../x"], message: "bad" }),
          "invalid",
        );
        await expectStoreError(
          store.saveFiles(user.id, project.id, {
            files: [{ path: "big.txt", content: "x".repeat(MAX_FILE_BYTES + 1) }],
            message: "too big",
          }),
          "invalid",
        );
        await expectStoreError(
          store.saveFiles(user.id, project.id, {
            files: [
              { path: "a", content: "file" },
              { path: "a/b", content: "file in a folder named like the file" },
            ],
            message: "clash",
          }),
          "invalid",
        );
        expect(await store.listFiles(user.id, project.id)).toEqual([]);
        expect(await store.listVersions(user.id, project.id)).toEqual([]);
      });
    });

    describe("generation steps and AI usage", () => {
      it("records steps of a run for the project's owner only", async () => {
        const user = await newUser();
        const other = await newUser();
        const project = await store.createProject(user.id, { name: "App" });
        const step = await store.startGenerationStep(user.id, {
          projectId: project.id,
          runId: "run-1",
          role: "architect",
          model: "gpt-x",
          provider: "openai",
        });
        expect(step).toMatchObject({ runId: "run-1", role: "architect", status: "running", finishedAt: null, error: null });

        const done = await store.finishGenerationStep(user.id, step.id, {
          status: "succeeded",
          output: "plan",
          inputTokens: 120,
          outputTokens: 80,
          credits: 3,
        });
        expect(done).toMatchObject({ status: "succeeded", output: "plan", inputTokens: 120, outputTokens: 80, credits: 3, model: "gpt-x" });
        expect(done.finishedAt).not.toBeNull();
        await store.startGenerationStep(user.id, { projectId: project.id, runId: "run-1", role: "backend" });

        expect((await store.listGenerationSteps(user.id, "run-1")).map((s) => s.role)).toEqual(["architect", "backend"]);
        expect(await store.listGenerationSteps(other.id, "run-1")).toEqual([]);
        await expectStoreError(store.finishGenerationStep(other.id, step.id, { status: "failed" }), "not_found");
      });

      it("usageStats totals requests, tokens and credits by kind and by model", async () => {
        const user = await newUser();
        const other = await newUser();
        await store.recordAiRequest({ userId: user.id, kind: "generate", model: "m1", tokens: 1000, credits: 10 });
        await store.recordAiRequest({ userId: user.id, kind: "chat", model: "m1", tokens: 200, credits: 2 });
        await store.recordAiRequest({ userId: user.id, kind: "chat", model: "m2", tokens: 50, credits: 1 });
        await store.recordAiRequest({ userId: other.id, kind: "fix", model: "m1", tokens: 999, credits: 9 });

        expect(await store.usageStats(user.id)).toEqual({
          totalRequests: 3,
          totalTokens: 1250,
          totalCredits: 13,
          byKind: {
            generate: { requests: 1, tokens: 1000, credits: 10 },
            chat: { requests: 2, tokens: 250, credits: 3 },
          },
          byModel: {
            m1: { requests: 2, tokens: 1200, credits: 12 },
            m2: { requests: 1, tokens: 50, credits: 1 },
          },
        });
        const recent = await store.listAiRequests(user.id, 2);
        expect(recent.map((r) => r.model)).toEqual(["m2", "m1"]);
        expect(recent[0].projectId).toBeNull();
      });
    });

    describe("runs and run events", () => {
      async function newRun(label = "runs") {
        const user = await newUser(label);
        const project = await store.createProject(user.id, { name: "App" });
        const reserved = await store.reserveCredits(user.id, 40, `run-${user.id}`);
        if (!reserved.ok) throw new Error("reservation refused");
        const run = await store.createRun(user.id, {
          projectId: project.id,
          reservationId: reserved.reservation.id,
          cap: 40,
          estimate: 55,
        });
        return { user, project, run, reservationId: reserved.reservation.id };
      }

      it("creates a running run, finishes it once and hides it from other users", async () => {
        const { user, project, run, reservationId } = await newRun();
        const other = await newUser("other");
        expect(run).toMatchObject({
          projectId: project.id,
          userId: user.id,
          status: "running",
          kind: "generation",
          request: "",
          reservationId,
          cap: 40,
          estimate: 55,
          error: null,
          finishedAt: null,
        });
        expect(await store.getRun(user.id, run.id)).toEqual(run);
        expect(await store.getRun(other.id, run.id)).toBeNull();
        expect(await store.getRun(user.id, "no-such-run")).toBeNull();
        await expectStoreError(store.finishRun(other.id, run.id, { status: "completed" }), "not_found");

        const failed = await store.finishRun(user.id, run.id, { status: "failed", error: "provider down" });
        expect(failed).toMatchObject({ status: "failed", error: "provider down" });
        expect(failed.finishedAt).not.toBeNull();
        await expectStoreError(store.finishRun(user.id, run.id, { status: "completed" }), "conflict");
        expect((await store.getRun(user.id, run.id))?.status).toBe("failed");
      });

      it("latestRun is the project's newest run, running or finished, and null for anyone else", async () => {
        const { user, project, run } = await newRun("latest");
        const other = await newUser("latest-other");
        const emptyProject = await store.createProject(user.id, { name: "Empty" });
        expect(await store.latestRun(user.id, emptyProject.id)).toBeNull();
        expect(await store.latestRun(user.id, project.id)).toEqual(run);
        expect(await store.latestRun(other.id, project.id)).toBeNull();
        expect(await store.latestRun(user.id, "no-such-project")).toBeNull();

        const finished = await store.finishRun(user.id, run.id, { status: "canceled", error: "stopped" });
        expect(await store.latestRun(user.id, project.id)).toEqual(finished);

        const reserved = await store.reserveCredits(user.id, 5, `run2-${user.id}`);
        if (!reserved.ok) throw new Error("reservation refused");
        const second = await store.createRun(user.id, {
          projectId: project.id,
          reservationId: reserved.reservation.id,
          cap: 5,
          estimate: 5,
        });
        expect(await store.latestRun(user.id, project.id)).toEqual(second);
        expect(await store.latestRun(user.id, emptyProject.id)).toBeNull();
      });

      it("listRuns lists the project's runs newest first, of one kind when asked, for the owner only", async () => {
        const { user, project, run } = await newRun("list");
        const other = await newUser("list-other");
        const changes = [];
        for (const request of ["add a due date", "make the header sticky"]) {
          const reserved = await store.reserveCredits(user.id, 2, `list-${request}-${user.id}`);
          if (!reserved.ok) throw new Error("reservation refused");
          changes.push(
            await store.createRun(user.id, { projectId: project.id, reservationId: reserved.reservation.id, cap: 2, estimate: 2, kind: "change", request }),
          );
        }
        expect(changes[0]).toMatchObject({ kind: "change", request: "add a due date" });
        expect(await store.getRun(user.id, changes[1].id)).toEqual(changes[1]);
        expect((await store.listRuns(user.id, project.id)).map((r) => r.id)).toEqual([changes[1].id, changes[0].id, run.id]);
        expect((await store.listRuns(user.id, project.id, { kind: "change" })).map((r) => r.request)).toEqual([
          "make the header sticky",
          "add a due date",
        ]);
        expect((await store.listRuns(user.id, project.id, { kind: "generation" })).map((r) => r.id)).toEqual([run.id]);
        expect((await store.listRuns(user.id, project.id, { limit: 1 })).map((r) => r.id)).toEqual([changes[1].id]);
        expect(await store.listRuns(other.id, project.id)).toEqual([]);
        expect(await store.listRuns(user.id, "no-such-project")).toEqual([]);
      });

      it("a run needs the user's own project and reservation", async () => {
        const { user, project, reservationId } = await newRun("owner");
        const other = await newUser("intruder");
        const otherProject = await store.createProject(other.id, { name: "Theirs" });
        await expectStoreError(
          store.createRun(other.id, { projectId: project.id, reservationId, cap: 1, estimate: 1 }),
          "not_found",
        );
        await expectStoreError(
          store.createRun(other.id, { projectId: otherProject.id, reservationId, cap: 1, estimate: 1 }),
          "not_found",
        );
        await expectStoreError(
          store.createRun(user.id, { projectId: project.id, reservationId: "missing", cap: 1, estimate: 1 }),
          "not_found",
        );
      });

      it("appends events with seq 1, 2, 3… and lists them in order after a seq", async () => {
        const { user, run } = await newRun();
        const events = [
          { type: "run_started", runId: run.id, projectId: run.projectId, reserved: 40, estimate: 55 },
          { type: "step_started", stepId: "s1", role: "architect", model: "m", provider: "joxcoder" },
          { type: "file_written", role: "backend", path: "src/a.ts", size: 12 },
          { type: "meter", spent: 3, reserved: 40 },
        ] as const;
        const seqs = [];
        for (const event of events) seqs.push(await store.appendRunEvent(user.id, run.id, event));
        expect(seqs).toEqual([1, 2, 3, 4]);

        expect(await store.listRunEvents(user.id, run.id)).toEqual(events.map((event, i) => ({ seq: i + 1, event })));
        expect((await store.listRunEvents(user.id, run.id, 2)).map((e) => e.seq)).toEqual([3, 4]);
        expect(await store.listRunEvents(user.id, run.id, 4)).toEqual([]);
      });

      it("concurrent appends get distinct consecutive seqs; each run counts on its own", async () => {
        const a = await newRun("a");
        const b = await newRun("b");
        const seqs = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.appendRunEvent(a.user.id, a.run.id, { type: "meter", spent: i, reserved: 40 })),
        );
        expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(await store.appendRunEvent(b.user.id, b.run.id, { type: "log", level: "info", message: "hi" })).toBe(1);
        const listed = await store.listRunEvents(a.user.id, a.run.id);
        expect(listed.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });

      it("another user can neither append to nor read a run's events", async () => {
        const { user, run } = await newRun();
        const other = await newUser("other");
        await store.appendRunEvent(user.id, run.id, { type: "log", level: "info", message: "mine" });
        await expectStoreError(store.appendRunEvent(other.id, run.id, { type: "log", level: "info", message: "x" }), "not_found");
        await expectStoreError(store.listRunEvents(other.id, run.id), "not_found");
        await expectStoreError(store.listRunEvents(user.id, "no-such-run"), "not_found");
        expect(await store.listRunEvents(user.id, run.id)).toHaveLength(1);
      });
    });

    describe("deployments", () => {
      it("are created pending, updated and listed for the owner", async () => {
        const user = await newUser();
        const project = await store.createProject(user.id, { name: "App" });
        const d = await store.createDeployment(user.id, project.id, "netlify");
        expect(d).toMatchObject({ projectId: project.id, userId: user.id, provider: "netlify", status: "pending", url: null, providerId: null });

        const updated = await store.updateDeployment(user.id, d.id, {
          status: "success",
          url: "https://app.netlify.app",
          providerId: "dep_1",
          logs: "done",
        });
        expect(updated).toMatchObject({ id: d.id, status: "success", url: "https://app.netlify.app", providerId: "dep_1", logs: "done" });
        expect(await store.listDeployments(user.id, project.id)).toEqual([updated]);
      });
    });

    describe("project deletion", () => {
      /** A project with two versions, a finished run with events and a step, AI usage and a deployment. */
      async function populatedProject(label: string, name = "Shop") {
        const user = await newUser(label);
        const project = await store.createProject(user.id, { name, description: "to delete" });
        await store.saveFiles(user.id, project.id, {
          files: [
            { path: "shared.txt", content: "same content in two projects" },
            { path: "src/only-here.ts", content: `export const only = "${label}";\n` },
          ],
          message: "v1",
        });
        await store.saveFiles(user.id, project.id, { files: [{ path: "src/only-here.ts", content: "v2" }], message: "v2" });
        const reserved = await store.reserveCredits(user.id, 10, `delete-run-${user.id}`);
        if (!reserved.ok) throw new Error("reservation refused");
        const run = await store.createRun(user.id, { projectId: project.id, reservationId: reserved.reservation.id, cap: 10, estimate: 10 });
        await store.appendRunEvent(user.id, run.id, { type: "log", level: "info", message: "working" });
        const step = await store.startGenerationStep(user.id, { projectId: project.id, runId: run.id, role: "architect" });
        await store.finishGenerationStep(user.id, step.id, { status: "succeeded", output: "plan", credits: 3 });
        await store.chargeReservation(reserved.reservation.id, 3);
        await store.settleReservation(reserved.reservation.id);
        await store.finishRun(user.id, run.id, { status: "completed" });
        await store.recordAiRequest({ userId: user.id, projectId: project.id, kind: "generate", model: "m1", tokens: 100, credits: 3 });
        const created = await store.createDeployment(user.id, project.id, "vercel");
        const deployment = await store.updateDeployment(user.id, created.id, { status: "success", url: "https://shop.vercel.app", providerId: "dpl_1", logs: "ok" });
        return { user, project, run, step, deployment };
      }

      it("removes the project, its files, versions, runs with their events and steps; keeps deployments and usage for the owner's records", async () => {
        const { user, project, run, deployment } = await populatedProject("deleter");
        // Another project of the same user shares a file's content (one blob).
        const blog = await store.createProject(user.id, { name: "Blog" });
        await store.saveFiles(user.id, blog.id, { files: [{ path: "shared.txt", content: "same content in two projects" }], message: "b1" });
        const blogDeployment = await store.createDeployment(user.id, blog.id, "netlify");
        const balance = await store.getBalance(user.id);
        const ledger = await store.listLedger(user.id, 100);

        expect(await store.deleteProject(user.id, project.id)).toMatchObject({ id: project.id, name: "Shop", description: "to delete" });

        expect(await store.getProject(user.id, project.id)).toBeNull();
        expect((await store.listProjects(user.id)).map((p) => p.id)).toEqual([blog.id]);
        expect(await store.getFile(user.id, project.id, "shared.txt")).toBeNull();
        expect(await store.getVersion(user.id, project.id, 1)).toBeNull();
        await expectStoreError(store.listFiles(user.id, project.id), "not_found");
        await expectStoreError(store.listVersions(user.id, project.id), "not_found");
        await expectStoreError(store.getVersionFiles(user.id, project.id, 1), "not_found");
        await expectStoreError(store.restoreVersion(user.id, project.id, 1), "not_found");
        await expectStoreError(store.saveFiles(user.id, project.id, { files: [{ path: "a", content: "" }], message: "x" }), "not_found");
        await expectStoreError(store.updateProject(user.id, project.id, { name: "Back" }), "not_found");
        await expectStoreError(store.deleteProject(user.id, project.id), "not_found");
        expect(await store.getRun(user.id, run.id)).toBeNull();
        expect(await store.latestRun(user.id, project.id)).toBeNull();
        expect(await store.listRuns(user.id, project.id)).toEqual([]);
        await expectStoreError(store.listRunEvents(user.id, run.id), "not_found");
        await expectStoreError(store.appendRunEvent(user.id, run.id, { type: "log", level: "info", message: "late" }), "not_found");
        expect(await store.listGenerationSteps(user.id, run.id)).toEqual([]);
        await expectStoreError(store.listDeployments(user.id, project.id), "not_found");
        await expectStoreError(store.createDeployment(user.id, project.id, "vercel"), "not_found");

        // Kept: the deployment (detached, with the project's name), the usage, the credits.
        const records = await store.listUserDeployments(user.id);
        expect(records).toHaveLength(2);
        expect(records.find((d) => d.id === deployment.id)).toEqual({ ...deployment, projectId: null, projectName: "Shop" });
        expect(records.find((d) => d.id === blogDeployment.id)).toEqual({ ...blogDeployment, projectName: "Blog" });
        const usage = await store.listAiRequests(user.id);
        expect(usage).toHaveLength(1);
        expect(usage[0]).toMatchObject({ projectId: null, credits: 3 });
        expect((await store.usageStats(user.id)).totalCredits).toBe(3);
        expect(await store.getBalance(user.id)).toBe(balance);
        expect(await store.listLedger(user.id, 100)).toEqual(ledger);

        // A kept deployment still records its end (a build followed after the deletion), for its owner only.
        const other = await newUser("deleter-other");
        await expectStoreError(store.updateDeployment(other.id, deployment.id, { status: "failed" }), "not_found");
        expect(await store.updateDeployment(user.id, deployment.id, { logs: "ok\nfinished" })).toMatchObject({ projectId: null, logs: "ok\nfinished" });
        expect(await store.listUserDeployments(other.id)).toEqual([]);

        // The other project is intact (its shared content included), and the name is free again.
        expect(await store.getVersionFiles(user.id, blog.id, 1)).toEqual([{ path: "shared.txt", content: "same content in two projects" }]);
        expect((await store.getFile(user.id, blog.id, "shared.txt"))?.content).toBe("same content in two projects");
        const again = await store.createProject(user.id, { name: "Shop" });
        expect(again.id).not.toBe(project.id);
        expect(await store.listFiles(user.id, again.id)).toEqual([]);
        expect(await store.listVersions(user.id, again.id)).toEqual([]);
        expect(await store.listDeployments(user.id, again.id)).toEqual([]);
      });

      it("only the owner deletes: another user gets not_found and nothing changes", async () => {
        const { user, project, run } = await populatedProject("owned");
        const intruder = await newUser("intruder");
        await expectStoreError(store.deleteProject(intruder.id, project.id), "not_found");
        await expectStoreError(store.deleteProject(user.id, "no-such-project"), "not_found");
        expect(await store.getProject(user.id, project.id)).toMatchObject({ name: "Shop" });
        expect(await store.listVersions(user.id, project.id)).toHaveLength(2);
        expect(await store.listRunEvents(user.id, run.id)).toHaveLength(1);
        expect((await store.listDeployments(user.id, project.id))[0].projectId).toBe(project.id);
        expect((await store.listUserDeployments(user.id))[0]).toMatchObject({ projectId: project.id, projectName: "Shop" });
      });

      it("a project with a running run is a conflict and nothing is deleted; once the run finishes it can be", async () => {
        const user = await newUser("busy");
        const project = await store.createProject(user.id, { name: "Busy" });
        await store.saveFiles(user.id, project.id, { files: [{ path: "a.txt", content: "a" }], message: "v1" });
        const reserved = await store.reserveCredits(user.id, 5, `busy-${user.id}`);
        if (!reserved.ok) throw new Error("reservation refused");
        const run = await store.createRun(user.id, { projectId: project.id, reservationId: reserved.reservation.id, cap: 5, estimate: 5 });

        await expectStoreError(store.deleteProject(user.id, project.id), "conflict");
        expect(await store.getProject(user.id, project.id)).not.toBeNull();
        expect(await store.getRun(user.id, run.id)).toMatchObject({ status: "running" });
        expect(await store.listFiles(user.id, project.id)).toHaveLength(1);
        await expectStoreError(store.createProject(user.id, { name: "Busy" }), "conflict");

        await store.settleReservation(reserved.reservation.id);
        await store.finishRun(user.id, run.id, { status: "canceled", error: "stopped" });
        await store.deleteProject(user.id, project.id);
        expect(await store.getRun(user.id, run.id)).toBeNull();
      });

      it("a deleted user's deployments are nobody's records", async () => {
        const { user } = await populatedProject("gone");
        expect(await store.listUserDeployments(user.id)).toHaveLength(1);
        await store.softDeleteUser(user.externalId);
        expect(await store.listUserDeployments(user.id)).toEqual([]);
      });
    });

    describe("api keys", () => {
      it("upserts, lists only the user's own and deletes", async () => {
        const user = await newUser();
        const other = await newUser();
        await store.saveApiKey(user.id, "openai", "cipher-1", "abcd");
        const replaced = await store.saveApiKey(user.id, "openai", "cipher-2", "wxyz");
        expect(replaced).toMatchObject({ userId: user.id, provider: "openai", ciphertext: "cipher-2", last4: "wxyz" });
        await store.saveApiKey(user.id, "anthropic", "cipher-3", "1234");
        await store.saveApiKey(other.id, "openai", "cipher-other", "9999");

        const keys = await store.listApiKeys(user.id);
        expect(keys.map((k) => [k.provider, k.ciphertext, k.last4])).toEqual([
          ["anthropic", "cipher-3", "1234"],
          ["openai", "cipher-2", "wxyz"],
        ]);
        expect(await store.deleteApiKey(user.id, "openai")).toBe(true);
        expect(await store.deleteApiKey(user.id, "openai")).toBe(false);
        expect((await store.listApiKeys(user.id)).map((k) => k.provider)).toEqual(["anthropic"]);
        expect(await store.listApiKeys(other.id)).toHaveLength(1);
      });
    });

    describe("AI endpoints", () => {
      const input = (name: string, extra: Partial<Parameters<Store["createAiEndpoint"]>[1]> = {}) => ({
        name,
        baseUrl: `https://${name.toLowerCase().replace(/\W/g, "")}.example.com/v1`,
        ciphertext: null,
        last4: null,
        models: ["model-a", "model-b"],
        ...extra,
      });

      it("creates, lists oldest first, gets, updates and deletes a user's endpoints", async () => {
        const user = await newUser();
        const first = await store.createAiEndpoint(user.id, input("Gateway", { ciphertext: "v1:cipher", last4: "WXYZ" }));
        expect(first).toEqual({
          id: expect.any(String),
          userId: user.id,
          name: "Gateway",
          baseUrl: "https://gateway.example.com/v1",
          ciphertext: "v1:cipher",
          last4: "WXYZ",
          models: ["model-a", "model-b"],
          createdAt: expect.any(Number),
          updatedAt: first.createdAt,
        });
        const second = await store.createAiEndpoint(user.id, input("Ollama", { models: [] }));
        expect(second).toMatchObject({ ciphertext: null, last4: null, models: [] });
        expect((await store.listAiEndpoints(user.id)).map((e) => e.id)).toEqual([first.id, second.id]);
        expect(await store.getAiEndpoint(user.id, first.id)).toEqual(first);

        const renamed = await store.updateAiEndpoint(user.id, first.id, { name: "Company gateway" });
        expect(renamed).toMatchObject({ name: "Company gateway", models: ["model-a", "model-b"], ciphertext: "v1:cipher", last4: "WXYZ" });
        expect(renamed.updatedAt).toBeGreaterThanOrEqual(first.updatedAt);
        const remodeled = await store.updateAiEndpoint(user.id, first.id, { models: ["qwen3-coder:30b"] });
        expect(remodeled).toMatchObject({ name: "Company gateway", models: ["qwen3-coder:30b"], baseUrl: first.baseUrl });
        expect(await store.getAiEndpoint(user.id, first.id)).toEqual(remodeled);

        expect(await store.deleteAiEndpoint(user.id, first.id)).toBe(true);
        expect(await store.deleteAiEndpoint(user.id, first.id)).toBe(false);
        expect(await store.getAiEndpoint(user.id, first.id)).toBeNull();
        expect((await store.listAiEndpoints(user.id)).map((e) => e.id)).toEqual([second.id]);
      });

      it("another user's endpoint behaves as if it did not exist", async () => {
        const owner = await newUser("owner");
        const intruder = await newUser("intruder");
        const endpoint = await store.createAiEndpoint(owner.id, input("Private", { ciphertext: "v1:secret", last4: "abcd" }));

        expect(await store.listAiEndpoints(intruder.id)).toEqual([]);
        expect(await store.getAiEndpoint(intruder.id, endpoint.id)).toBeNull();
        await expectStoreError(store.updateAiEndpoint(intruder.id, endpoint.id, { name: "Mine" }), "not_found");
        expect(await store.deleteAiEndpoint(intruder.id, endpoint.id)).toBe(false);
        expect(await store.getAiEndpoint(owner.id, endpoint.id)).toEqual(endpoint);
      });

      it("an unknown id is not found; an unknown user cannot create one", async () => {
        const user = await newUser();
        const other = await newUser();
        const foreignId = (await store.createAiEndpoint(other.id, input("Other"))).id;
        await store.deleteAiEndpoint(other.id, foreignId);
        for (const id of ["nope", foreignId]) {
          expect(await store.getAiEndpoint(user.id, id)).toBeNull();
          expect(await store.deleteAiEndpoint(user.id, id)).toBe(false);
          await expectStoreError(store.updateAiEndpoint(user.id, id, { models: [] }), "not_found");
        }
        // Another table's id (a project's) names no endpoint either.
        const project = await store.createProject(user.id, { name: "Not an endpoint" });
        expect(await store.getAiEndpoint(user.id, project.id)).toBeNull();
        expect(await store.listAiEndpoints("nobody")).toEqual([]);
        await expectStoreError(store.createAiEndpoint(project.id, input("Orphan")), "not_found");
      });

      it("a deleted user's endpoints are deleted with their keys, by softDeleteUser and by the webhook effect", async () => {
        const direct = await newUser("gone");
        const viaWebhook = await newUser("gone");
        const kept = await newUser("kept");
        for (const user of [direct, viaWebhook, kept]) {
          await store.createAiEndpoint(user.id, input("One", { ciphertext: "v1:one", last4: "1111" }));
          await store.createAiEndpoint(user.id, input("Two"));
        }
        expect(await store.softDeleteUser(direct.externalId)).toBe(true);
        await store.recordWebhookEvent("clerk", `msg_endpoints_${viaWebhook.id}`, { softDelete: { externalId: viaWebhook.externalId } });

        expect(await store.listAiEndpoints(direct.id)).toEqual([]);
        expect(await store.listAiEndpoints(viaWebhook.id)).toEqual([]);
        expect(await store.listAiEndpoints(kept.id)).toHaveLength(2);
        await expectStoreError(store.createAiEndpoint(direct.id, input("Again")), "not_found");
      });
    });

    describe("local accounts and sessions", () => {
      it("creates a local account with credentials and the trial grant", async () => {
        const user = await store.createLocalAccount({ email: "Lin@Example.com", name: "Lin", passwordHash: "hash-1" });
        expect(user.externalId.startsWith("local:")).toBe(true);
        expect(user).toMatchObject({ email: "lin@example.com", name: "Lin", tokenBalance: 100 });
        expect(await store.getLocalCredentials("LIN@example.com")).toEqual({ userId: user.id, passwordHash: "hash-1" });
        expect(await store.getLocalCredentials("nobody@example.com")).toBeNull();
        expect((await store.listLedger(user.id)).map((e) => e.idempotencyKey)).toEqual([`trial:${user.id}`]);
      });

      it("a taken email is a conflict", async () => {
        await store.createLocalAccount({ email: "dup@example.com", name: "A", passwordHash: "h" });
        await expectStoreError(
          store.createLocalAccount({ email: "DUP@example.com", name: "B", passwordHash: "h2" }),
          "conflict",
        );
        await store.ensureUser({ externalId: "user_clerk", email: "clerk@example.com" });
        await expectStoreError(
          store.createLocalAccount({ email: "clerk@example.com", name: "C", passwordHash: "h3" }),
          "conflict",
        );
        expect(await store.getLocalCredentials("dup@example.com")).toMatchObject({ passwordHash: "h" });
      });

      it("sessions are found until they expire or are deleted", async () => {
        const user = await store.createLocalAccount({ email: "s@example.com", name: "S", passwordHash: "h" });
        const expiresAt = Date.now() + 60_000;
        await store.createSession("token-live", user.id, expiresAt);
        await store.createSession("token-expired", user.id, Date.now() - 1);

        expect(await store.getSession("token-live")).toEqual({ userId: user.id, expiresAt });
        expect(await store.getSession("token-expired")).toBeNull();
        expect(await store.getSession("token-unknown")).toBeNull();

        await store.deleteSession("token-live");
        expect(await store.getSession("token-live")).toBeNull();
      });
    });

    describe("profiles and soft delete", () => {
      it("updateUserProfile changes email and name; a taken email is a conflict; unknown → null", async () => {
        const user = await newUser("prof");
        const other = await newUser("prof");
        const updated = await store.updateUserProfile(user.externalId, { email: "New@Example.com", name: "  Newname " });
        expect(updated).toMatchObject({ id: user.id, email: "new@example.com", name: "Newname" });
        expect((await store.getUserByEmail("new@example.com"))?.id).toBe(user.id);
        expect(await store.getUserByEmail(user.email)).toBeNull();

        await expectStoreError(store.updateUserProfile(user.externalId, { email: other.email }), "conflict");
        await expectStoreError(store.updateUserProfile(user.externalId, { email: "no-at-sign" }), "invalid");
        expect((await store.getUser(user.id))?.email).toBe("new@example.com");
        // Only the name: the email stays.
        expect(await store.updateUserProfile(user.externalId, { name: "Only" })).toMatchObject({ email: "new@example.com", name: "Only" });
        expect(await store.updateUserProfile("ext_nobody", { name: "X" })).toBeNull();
      });

      it("softDeleteUser hides the user's projects from everyone, ends sessions and frees the email", async () => {
        const user = await store.createLocalAccount({ email: "gone@example.com", name: "Gone", passwordHash: "h" });
        const project = await store.createProject(user.id, { name: "Doomed" });
        await store.saveFiles(user.id, project.id, { files: [{ path: "a.txt", content: "x" }], message: "v1" });
        await store.createSession("token-gone", user.id, Date.now() + 60_000);
        expect(user.deletedAt ?? null).toBeNull();

        expect(await store.softDeleteUser(user.externalId)).toBe(true);
        expect(await store.softDeleteUser(user.externalId)).toBe(false);
        expect(await store.softDeleteUser("ext_unknown")).toBe(false);

        const deleted = await store.getUser(user.id);
        expect(deleted?.deletedAt).toEqual(expect.any(Number));
        expect(deleted?.email).not.toBe("gone@example.com");
        expect(await store.getSession("token-gone")).toBeNull();
        expect(await store.getLocalCredentials("gone@example.com")).toBeNull();

        expect(await store.getProject(user.id, project.id)).toBeNull();
        expect(await store.listProjects(user.id)).toEqual([]);
        await expectStoreError(store.listFiles(user.id, project.id), "not_found");
        await expectStoreError(store.updateProject(user.id, project.id, { name: "Back" }), "not_found");
        await expectStoreError(store.createProject(user.id, { name: "New" }), "not_found");
        expect(await store.updateUserProfile(user.externalId, { name: "Ghost" })).toBeNull();

        // ensureUser does not resurrect the deleted user or grant again.
        const again = await store.ensureUser({ externalId: user.externalId, email: "gone@example.com" });
        expect(again).toMatchObject({ created: false, user: { id: user.id, deletedAt: expect.any(Number) } });
        expect(await ledgerSum(user.id)).toBe(100);

        // The address is free for a new account.
        const fresh = await store.ensureUser({ externalId: "ext_fresh", email: "gone@example.com" });
        expect(fresh.created).toBe(true);
        expect(fresh.user.id).not.toBe(user.id);
      });
    });

    describe("webhook user effects", () => {
      it("createUser creates the user with one trial; a redelivery and an ensureUser converge on it", async () => {
        const effects = { createUser: { externalId: "user_wh1", email: "Wh1@Example.com", name: "Wh" } };
        expect(await store.recordWebhookEvent("clerk", "msg_1", effects)).toMatchObject({ kind: "first" });
        expect(await store.recordWebhookEvent("clerk", "msg_1", effects)).toEqual({ kind: "duplicate" });
        const user = await store.getUserByExternalId("user_wh1");
        expect(user).toMatchObject({ email: "wh1@example.com", name: "Wh", tokenBalance: 100 });
        const signIn = await store.ensureUser({ externalId: "user_wh1", email: "wh1@example.com" });
        expect(signIn).toMatchObject({ created: false, user: { id: user!.id } });
        // A second event id for the same Clerk user (e.g. replayed from the dashboard) changes nothing.
        expect(await store.recordWebhookEvent("clerk", "msg_2", effects)).toMatchObject({ kind: "first" });
        expect((await store.listLedger(user!.id)).map((e) => e.reason)).toEqual(["trial"]);
      });

      it("createUser after ensureUser (first sign-in first) grants nothing more", async () => {
        const { user } = await store.ensureUser({ externalId: "user_wh2", email: "wh2@example.com" });
        expect(
          await store.recordWebhookEvent("clerk", "msg_3", { createUser: { externalId: "user_wh2", email: "wh2@example.com" } }),
        ).toMatchObject({ kind: "first" });
        expect(await store.getBalance(user.id)).toBe(100);
        expect(await store.listLedger(user.id)).toHaveLength(1);
      });

      it("createUser for an email another account holds creates nothing and still records the event", async () => {
        const local = await store.createLocalAccount({ email: "taken@example.com", name: "L", passwordHash: "h" });
        expect(
          await store.recordWebhookEvent("clerk", "msg_4", { createUser: { externalId: "user_wh3", email: "TAKEN@example.com" } }),
        ).toMatchObject({ kind: "first" });
        expect(await store.getUserByExternalId("user_wh3")).toBeNull();
        expect((await store.getUserByEmail("taken@example.com"))?.id).toBe(local.id);
        expect(await store.getBalance(local.id)).toBe(100);
        expect(
          await store.recordWebhookEvent("clerk", "msg_4", { createUser: { externalId: "user_wh3", email: "x@example.com" } }),
        ).toEqual({ kind: "duplicate" });
      });

      it("five concurrent deliveries of one createUser make one user with one trial", async () => {
        const effects = { createUser: { externalId: "user_wh4", email: "wh4@example.com" } };
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => store.recordWebhookEvent("clerk", "msg_5", effects)));
        expect(outcomes.filter((o) => o.kind === "first")).toHaveLength(1);
        const user = await store.getUserByExternalId("user_wh4");
        expect(user?.tokenBalance).toBe(100);
        expect(await ledgerSum(user!.id)).toBe(100);
      });

      it("profile updates email and name, keeping an email another account holds", async () => {
        const user = await newUser("pr");
        const other = await newUser("pr");
        await store.recordWebhookEvent("clerk", "msg_6", { profile: { externalId: user.externalId, email: "moved@example.com", name: "Moved" } });
        expect(await store.getUser(user.id)).toMatchObject({ email: "moved@example.com", name: "Moved" });
        expect(
          await store.recordWebhookEvent("clerk", "msg_7", { profile: { externalId: user.externalId, email: other.email, name: "Renamed" } }),
        ).toMatchObject({ kind: "first" });
        expect(await store.getUser(user.id)).toMatchObject({ email: "moved@example.com", name: "Renamed" });
        expect(await store.recordWebhookEvent("clerk", "msg_8", { profile: { externalId: "ext_nobody", name: "X" } })).toMatchObject({
          kind: "first",
        });
      });

      it("softDelete deletes once, with the event", async () => {
        const user = await newUser("sd");
        const project = await store.createProject(user.id, { name: "P" });
        expect(await store.recordWebhookEvent("clerk", "msg_9", { softDelete: { externalId: user.externalId } })).toMatchObject({ kind: "first" });
        expect((await store.getUser(user.id))?.deletedAt).toEqual(expect.any(Number));
        expect(await store.getProject(user.id, project.id)).toBeNull();
        expect(await store.recordWebhookEvent("clerk", "msg_10", { softDelete: { externalId: "ext_nobody" } })).toMatchObject({
          kind: "first",
        });
        // A late user.created for the deleted Clerk id does not bring the user back.
        await store.recordWebhookEvent("clerk", "msg_11", { createUser: { externalId: user.externalId, email: "late@example.com" } });
        expect((await store.getUserByExternalId(user.externalId))?.deletedAt).toEqual(expect.any(Number));
        expect(await store.getUserByEmail("late@example.com")).toBeNull();
      });
    });

    describe("rate limits", () => {
      const window = { max: 3, windowMs: 60_000 };

      it("counts hits per key in a fixed window and refuses with the time left", async () => {
        const t0 = 1_700_000_000_000;
        expect(await store.hitRateLimit("rl:a", window, t0)).toEqual({ ok: true, remaining: 2, retryAfterMs: 0 });
        expect(await store.hitRateLimit("rl:a", window, t0 + 1)).toEqual({ ok: true, remaining: 1, retryAfterMs: 0 });
        expect(await store.hitRateLimit("rl:a", window, t0 + 2)).toEqual({ ok: true, remaining: 0, retryAfterMs: 0 });
        expect(await store.hitRateLimit("rl:a", window, t0 + 10_000)).toEqual({ ok: false, remaining: 0, retryAfterMs: 50_000 });
        expect((await store.hitRateLimit("rl:b", window, t0 + 10_000)).ok).toBe(true);
        expect(await store.hitRateLimit("rl:a", window, t0 + 60_000)).toEqual({ ok: true, remaining: 2, retryAfterMs: 0 });
      });

      it("expired windows of other keys are cleaned up without changing any outcome", async () => {
        const t0 = 1_700_000_000_000;
        for (let i = 0; i < 5; i += 1) await store.hitRateLimit(`rl:old:${i}`, { max: 1, windowMs: 1_000 }, t0);
        await store.hitRateLimit("rl:new", window, t0 + 5_000);
        // The old keys' windows are over: each starts afresh.
        for (let i = 0; i < 5; i += 1) {
          expect(await store.hitRateLimit(`rl:old:${i}`, { max: 1, windowMs: 1_000 }, t0 + 5_000)).toMatchObject({ ok: true });
        }
      });

      it("N concurrent hits with max M: exactly M are allowed", async () => {
        const now = Date.now();
        const outcomes = await Promise.all(
          Array.from({ length: 25 }, () => store.hitRateLimit("rl:concurrent", { max: 7, windowMs: 60_000 }, now)),
        );
        expect(outcomes.filter((o) => o.ok)).toHaveLength(7);
        expect(outcomes.filter((o) => !o.ok).every((o) => o.retryAfterMs === 60_000)).toBe(true);
        expect(outcomes.filter((o) => o.ok).map((o) => o.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      });

      it("releaseRateLimit takes back one hit in the open window", async () => {
        const t0 = 1_700_000_000_000;
        for (let i = 0; i < 3; i += 1) await store.hitRateLimit("rl:release", window, t0 + i);
        expect((await store.hitRateLimit("rl:release", window, t0 + 10)).ok).toBe(false);
        await store.releaseRateLimit("rl:release", t0 + 20);
        // One hit again, in the same window (it still ends at t0 + 60s).
        expect(await store.hitRateLimit("rl:release", window, t0 + 30)).toEqual({ ok: true, remaining: 0, retryAfterMs: 0 });
        expect(await store.hitRateLimit("rl:release", window, t0 + 40)).toEqual({ ok: false, remaining: 0, retryAfterMs: 60_000 - 40 });
      });

      it("releasing a window's only hit removes it: the next hit opens a new window", async () => {
        const t0 = 1_700_000_000_000;
        await store.hitRateLimit("rl:only", window, t0);
        await store.releaseRateLimit("rl:only", t0 + 1);
        // Released again: nothing left to take back.
        await store.releaseRateLimit("rl:only", t0 + 2);
        const later = t0 + 30_000;
        for (let i = 0; i < 3; i += 1) expect((await store.hitRateLimit("rl:only", window, later)).ok).toBe(true);
        expect(await store.hitRateLimit("rl:only", window, later)).toEqual({ ok: false, remaining: 0, retryAfterMs: 60_000 });
      });

      it("releasing changes nothing for an unknown key, an ended window or a time before the window", async () => {
        const t0 = 1_700_000_000_000;
        await store.releaseRateLimit("rl:never", t0);
        expect(await store.hitRateLimit("rl:never", window, t0)).toEqual({ ok: true, remaining: 2, retryAfterMs: 0 });
        for (let i = 0; i < 2; i += 1) await store.hitRateLimit("rl:never", window, t0);
        await store.releaseRateLimit("rl:never", t0 - 1);
        expect((await store.hitRateLimit("rl:never", window, t0 + 1)).ok).toBe(false);
        await store.releaseRateLimit("rl:never", t0 + 60_000);
        expect(await store.hitRateLimit("rl:never", window, t0 + 60_000)).toEqual({ ok: true, remaining: 2, retryAfterMs: 0 });
      });

      it("refuses a bad key or window", async () => {
        await expectStoreError(store.releaseRateLimit(""), "invalid");
        await expectStoreError(store.releaseRateLimit("k".repeat(513)), "invalid");
        await expectStoreError(store.hitRateLimit("", window), "invalid");
        await expectStoreError(store.hitRateLimit("k", { max: 0, windowMs: 1_000 }), "invalid");
        await expectStoreError(store.hitRateLimit("k", { max: 1, windowMs: -1 }), "invalid");
      });
    });
  });
}
