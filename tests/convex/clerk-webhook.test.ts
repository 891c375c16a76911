import { Webhook } from "svix";
import { describe, expect, it } from "vitest";
import { processClerkWebhook } from "@/lib/webhooks/clerk";
import { openConvexStore } from "./backend";

/** The Clerk webhook path (lib/webhooks/clerk.ts) over the Convex adapter; the route over SQLite is tests/integration/clerk-webhook.test.ts. */

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let messageCount = 0;

function delivery(payload: unknown, { id = `msg_${++messageCount}`, secret = SECRET, body }: { id?: string; secret?: string; body?: string } = {}) {
  const signed = JSON.stringify(payload);
  const timestamp = new Date();
  return new Request("http://localhost:3000/api/webhooks/clerk", {
    method: "POST",
    headers: {
      "svix-id": id,
      "svix-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "svix-signature": new Webhook(secret).sign(id, timestamp, signed),
    },
    body: body ?? signed,
  });
}

const userEvent = (type: string, id: string, email: string, name = "Ada") => ({
  type,
  data: { id, email_addresses: [{ id: "idn_1", email_address: email }], primary_email_address_id: "idn_1", first_name: name },
});

describe("Clerk webhooks over the Convex store", () => {
  it("five concurrent deliveries of user.created make one user with one trial", async () => {
    const { store } = await openConvexStore();
    const event = userEvent("user.created", "user_c1", "c1@example.com");
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => processClerkWebhook(store, delivery(event, { id: "msg_same" }), { secret: SECRET })),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(bodies.filter((b) => b.applied === true)).toHaveLength(1);
    const user = await store.getUserByExternalId("user_c1");
    expect(user).toMatchObject({ email: "c1@example.com", name: "Ada", tokenBalance: 100 });
    expect(await store.listLedger(user!.id)).toHaveLength(1);
  });

  it("refuses a tampered body and a wrong secret", async () => {
    const { store } = await openConvexStore();
    const event = userEvent("user.created", "user_c2", "c2@example.com");
    const tampered = delivery(event, { body: JSON.stringify(userEvent("user.created", "user_c2", "evil@example.com")) });
    expect((await processClerkWebhook(store, tampered, { secret: SECRET })).status).toBe(400);
    const wrong = delivery(event, { secret: "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=" });
    expect((await processClerkWebhook(store, wrong, { secret: SECRET })).status).toBe(400);
    expect(await store.getUserByExternalId("user_c2")).toBeNull();
  });

  it("user.created for a taken email links nothing; user.updated and user.deleted apply", async () => {
    const { store } = await openConvexStore();
    const local = await store.createLocalAccount({ email: "taken@example.com", name: "L", passwordHash: "h" });
    const taken = await processClerkWebhook(store, delivery(userEvent("user.created", "user_c3", "taken@example.com")), { secret: SECRET });
    expect(await taken.json()).toMatchObject({ applied: false, linked: false, reason: "email_in_use" });
    expect(await store.getBalance(local.id)).toBe(100);

    await processClerkWebhook(store, delivery(userEvent("user.created", "user_c4", "c4@example.com")), { secret: SECRET });
    const updated = await processClerkWebhook(store, delivery(userEvent("user.updated", "user_c4", "c4new@example.com", "Grace")), {
      secret: SECRET,
    });
    expect(await updated.json()).toMatchObject({ applied: true });
    const user = await store.getUserByExternalId("user_c4");
    expect(user).toMatchObject({ email: "c4new@example.com", name: "Grace" });

    const project = await store.createProject(user!.id, { name: "P" });
    const deleted = await processClerkWebhook(store, delivery({ type: "user.deleted", data: { id: "user_c4", deleted: true } }), {
      secret: SECRET,
    });
    expect(await deleted.json()).toMatchObject({ applied: true });
    expect((await store.getUserByExternalId("user_c4"))?.deletedAt).toEqual(expect.any(Number));
    expect(await store.getProject(user!.id, project.id)).toBeNull();
  });
});
