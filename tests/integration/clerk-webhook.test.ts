import { generateKeyPairSync, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { Webhook } from "svix";
import { describe, expect, it } from "vitest";
import { GET as me } from "@/app/api/me/route";
import { GET as getProjectRoute } from "@/app/api/projects/[id]/route";
import { POST as clerkWebhook } from "@/app/api/webhooks/clerk/route";
import { getStore } from "@/lib/store";
import { APP_URL, clerkEnv, get, jsonPost, signUp, withTestApp } from "./support/app";

/**
 * POST /api/webhooks/clerk through its route handler, over a temp SQLite
 * store, with deliveries signed by svix itself. The same logic runs over the
 * Convex adapter in tests/convex/clerk-webhook.test.ts.
 */

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const OTHER_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const clerkKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicPem = clerkKeys.publicKey.export({ type: "spki", format: "pem" }).toString();

let messageCount = 0;

interface Delivery {
  id?: string;
  secret?: string;
  timestamp?: Date;
  /** Sent instead of the signed payload (tampering). */
  body?: string;
}

function delivery(payload: unknown, { id = `msg_${++messageCount}`, secret = SECRET, timestamp = new Date(), body }: Delivery = {}) {
  const signed = JSON.stringify(payload);
  const signature = new Webhook(secret).sign(id, timestamp, signed);
  return new Request(new URL("/api/webhooks/clerk", APP_URL), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "svix-id": id,
      "svix-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "svix-signature": signature,
    },
    body: body ?? signed,
  });
}

const send = (request: Request) => clerkWebhook(request, undefined);

function userEvent(type: string, id: string, email?: string, extra: Record<string, unknown> = {}) {
  return {
    type,
    object: "event",
    data: {
      id,
      object: "user",
      email_addresses: email
        ? [
            { id: "idn_other", email_address: `secondary-${email}` },
            { id: "idn_primary", email_address: email },
          ]
        : [],
      primary_email_address_id: email ? "idn_primary" : null,
      first_name: "Ada",
      last_name: "Lovelace",
      ...extra,
    },
  };
}

async function sessionToken(sub: string, email?: string) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ azp: APP_URL, sid: "sess_1", ...(email ? { email } : {}) })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "ins_test" })
    .setSubject(sub)
    .setIssuedAt(now - 10)
    .setNotBefore(now - 10)
    .setExpirationTime(now + 60)
    .sign(clerkKeys.privateKey);
}

const bearer = async (sub: string, email?: string) => ({ authorization: `Bearer ${await sessionToken(sub, email)}` });

describe("POST /api/webhooks/clerk", () => {
  withTestApp(clerkEnv(publicPem, { CLERK_WEBHOOK_SECRET: SECRET }), { perTest: true });

  it("user.created creates the user with the primary email, name and 100 trial credits", async () => {
    const response = await send(delivery(userEvent("user.created", "user_a", "Ada@Example.com")));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true, type: "user.created", applied: true });
    const user = await (await getStore()).getUserByExternalId("user_a");
    expect(user).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", tokenBalance: 100, deletedAt: null });
  });

  it("refuses a tampered body, a wrong secret, a 10-minute-old timestamp and missing headers with 400", async () => {
    const event = userEvent("user.created", "user_b", "b@example.com");
    const tampered = JSON.stringify(userEvent("user.created", "user_b", "attacker@example.com"));
    const cases = [
      delivery(event, { body: tampered }),
      delivery(event, { secret: OTHER_SECRET }),
      delivery(event, { timestamp: new Date(Date.now() - 10 * 60 * 1000) }),
      new Request(new URL("/api/webhooks/clerk", APP_URL), { method: "POST", body: JSON.stringify(event) }),
    ];
    for (const request of cases) {
      const response = await send(request);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_signature" });
    }
    const store = await getStore();
    expect(await store.getUserByExternalId("user_b")).toBeNull();
    expect(await store.getUserByEmail("attacker@example.com")).toBeNull();
  });

  it("answers 503 when CLERK_WEBHOOK_SECRET is not set", async () => {
    delete process.env.CLERK_WEBHOOK_SECRET;
    (await import("@/lib/env")).resetEnvForTests();
    const response = await send(delivery(userEvent("user.created", "user_c", "c@example.com")));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "webhooks_disabled" });
    expect(await (await getStore()).getUserByExternalId("user_c")).toBeNull();
  });

  it("refuses a 2 MB body with 413 before verifying or parsing it, declared or streamed", async () => {
    const huge = JSON.stringify({ ...userEvent("user.created", "user_big", "big@example.com"), pad: "x".repeat(2 * 1024 * 1024) });
    const declared = delivery(JSON.parse(huge) as unknown);
    declared.headers.set("content-length", String(huge.length));
    expect((await send(declared)).status).toBe(413);

    const encoded = new TextEncoder().encode(huge);
    const streamed = new Request(new URL("/api/webhooks/clerk", APP_URL), {
      method: "POST",
      headers: delivery(JSON.parse(huge) as unknown).headers,
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < encoded.length; i += 64 * 1024) controller.enqueue(encoded.slice(i, i + 64 * 1024));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    streamed.headers.delete("content-length");
    const response = await send(streamed);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: "payload_too_large" });
    expect(await (await getStore()).getUserByExternalId("user_big")).toBeNull();
  });

  it("ignores unknown event types with 200", async () => {
    const response = await send(delivery({ type: "session.created", object: "event", data: { id: "sess_1" } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true, type: "session.created", ignored: true });
  });

  it("answers 400 for a signed body that is not a Clerk user event", async () => {
    expect((await send(delivery({ type: "user.created", data: { nope: true } }))).status).toBe(400);
    expect((await send(delivery("just a string"))).status).toBe(400);
  });

  it("the same user.created delivered 5 times concurrently makes one user with one trial grant", async () => {
    const event = userEvent("user.created", "user_d", "d@example.com");
    const id = "msg_concurrent";
    const timestamp = new Date();
    const responses = await Promise.all(Array.from({ length: 5 }, () => send(delivery(event, { id, timestamp }))));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(bodies.filter((b) => b.applied === true)).toHaveLength(1);
    expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(4);

    const store = await getStore();
    const user = await store.getUserByExternalId("user_d");
    expect(user?.tokenBalance).toBe(100);
    expect((await store.listLedger(user!.id)).map((e) => e.reason)).toEqual(["trial"]);
  });

  it("user.created for an email another account holds answers 200 {linked: false} and grants nothing", async () => {
    const store = await getStore();
    const local = await store.createLocalAccount({ email: "shared@example.com", name: "Local", passwordHash: "h" });
    const response = await send(delivery(userEvent("user.created", "user_e", "SHARED@example.com")));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      received: true,
      type: "user.created",
      applied: false,
      linked: false,
      reason: "email_in_use",
    });
    expect(await store.getUserByExternalId("user_e")).toBeNull();
    expect((await store.getUserByEmail("shared@example.com"))?.externalId).toBe(local.externalId);
    expect(await store.listLedger(local.id)).toHaveLength(1);
  });

  it("webhook first, then first sign-in: the same user, one trial", async () => {
    await send(delivery(userEvent("user.created", "user_f", "f@example.com")));
    const response = await me(get("/api/me", await bearer("user_f", "f@example.com")), undefined);
    expect(response.status).toBe(200);
    const { user } = await response.json();
    const store = await getStore();
    expect(user.id).toBe((await store.getUserByExternalId("user_f"))?.id);
    expect(user.tokenBalance).toBe(100);
    expect(await store.listLedger(user.id)).toHaveLength(1);
  });

  it("first sign-in, then the webhook: the same user, one trial", async () => {
    const signedIn = await (await me(get("/api/me", await bearer("user_g", "g@example.com")), undefined)).json();
    const response = await send(delivery(userEvent("user.created", "user_g", "g@example.com")));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ applied: false, reason: "already_exists" });
    const store = await getStore();
    expect((await store.getUserByExternalId("user_g"))?.id).toBe(signedIn.user.id);
    expect(await store.getBalance(signedIn.user.id)).toBe(100);
    expect(await store.listLedger(signedIn.user.id)).toHaveLength(1);
  });

  it("user.updated changes the email and name", async () => {
    await send(delivery(userEvent("user.created", "user_h", "old@example.com")));
    const response = await send(
      delivery(userEvent("user.updated", "user_h", "new@example.com", { first_name: "Grace", last_name: "Hopper" })),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ applied: true });
    const store = await getStore();
    expect(await store.getUserByExternalId("user_h")).toMatchObject({ email: "new@example.com", name: "Grace Hopper" });
    expect(await store.getUserByEmail("old@example.com")).toBeNull();
  });

  it("user.deleted: the user's token is refused (401) and their project is gone (404 for anyone)", async () => {
    await send(delivery(userEvent("user.created", "user_i", "i@example.com")));
    const owner = (await (await me(get("/api/me", await bearer("user_i")), undefined)).json()).user;
    const store = await getStore();
    const project = await store.createProject(owner.id, { name: "Secret app" });
    const projectUrl = `/api/projects/${project.id}`;
    const params = { params: Promise.resolve({ id: project.id }) };
    expect((await getProjectRoute(get(projectUrl, await bearer("user_i")), params)).status).toBe(200);

    const deleted = await send(delivery({ type: "user.deleted", object: "event", data: { id: "user_i", object: "user", deleted: true } }));
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toMatchObject({ applied: true });

    expect((await me(get("/api/me", await bearer("user_i", "i@example.com")), undefined)).status).toBe(401);
    expect((await getProjectRoute(get(projectUrl, await bearer("user_i")), params)).status).toBe(401);

    await send(delivery(userEvent("user.created", "user_j", "j@example.com")));
    const other = await getProjectRoute(get(projectUrl, await bearer("user_j")), params);
    expect(other.status).toBe(404);
    expect(await store.getProject(owner.id, project.id)).toBeNull();

    // Redelivered: nothing changes, and it is not mistaken for a new deletion.
    const again = await send(delivery({ type: "user.deleted", data: { id: "user_i", deleted: true } }, { id: "msg_late_delete" }));
    expect(await again.json()).toMatchObject({ applied: false, reason: "unknown_user" });
  });

  it("a redelivered event changes nothing", async () => {
    const request = () => delivery(userEvent("user.updated", "user_k", "k2@example.com"), { id: "msg_update_k" });
    await send(delivery(userEvent("user.created", "user_k", "k@example.com")));
    expect(await (await send(request())).json()).toMatchObject({ applied: true });
    const store = await getStore();
    await store.updateUserProfile("user_k", { email: "k3@example.com" });
    expect(await (await send(request())).json()).toMatchObject({ duplicate: true });
    expect((await store.getUserByExternalId("user_k"))?.email).toBe("k3@example.com");
  });
});

describe("soft-deleted local accounts", () => {
  withTestApp({}, { perTest: true });

  it("their session cookie no longer signs in and their password no longer works", async () => {
    const { POST: login } = await import("@/app/api/auth/login/route");
    const credentials = { name: "Lee", email: "lee@example.com", password: "correct horse battery" };
    const { cookie } = await signUp({ ...credentials, headers: { origin: APP_URL } });
    expect((await me(get("/api/me", { cookie }), undefined)).status).toBe(200);

    const store = await getStore();
    const user = await store.getUserByEmail("lee@example.com");
    expect(await store.softDeleteUser(user!.externalId)).toBe(true);

    expect((await me(get("/api/me", { cookie }), undefined)).status).toBe(401);
    const relogin = await login(jsonPost("/api/auth/login", { email: credentials.email, password: credentials.password }, { origin: APP_URL }), undefined);
    expect(relogin.status).toBe(401);
  });
});
