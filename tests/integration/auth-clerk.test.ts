import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { GET as me } from "@/app/api/me/route";
import { getUser } from "@/lib/auth";
import { getStore } from "@/lib/store";
import { APP_URL, clerkEnv, get, jsonPost, withTestApp } from "./support/app";

// Clerk's PEM loader expects a 2048-bit RSA key, as Clerk issues.
const clerkKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicPem = clerkKeys.publicKey.export({ type: "spki", format: "pem" }).toString();

interface TokenOptions {
  sub?: string;
  azp?: string;
  email?: string;
  name?: string;
  expiresInSec?: number;
  key?: KeyObject;
}

async function sessionToken({ sub = "user_2abc", azp = APP_URL, email, name, expiresInSec = 60, key = clerkKeys.privateKey }: TokenOptions = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { azp, sid: "sess_123" };
  if (email !== undefined) claims.email = email;
  if (name !== undefined) claims.name = name;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "ins_test" })
    .setSubject(sub)
    .setIssuer("https://clerk.autocrea.example")
    .setIssuedAt(now - 10)
    .setNotBefore(now - 10)
    .setExpirationTime(now + expiresInSec)
    .sign(key);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ctx = undefined;

describe("Clerk session tokens", () => {
  withTestApp(clerkEnv(publicPem, { CLERK_AUTHORIZED_PARTIES: `${APP_URL},https://autocrea.example` }), { perTest: true });

  it("a valid token creates the user with 100 trial credits, once", async () => {
    const token = await sessionToken({ email: "Bob@Example.com", name: "Bob" });
    const first = await me(get("/api/me", bearer(token)), ctx);
    expect(first.status).toBe(200);
    const body = await first.json();
    expect(body).toEqual({
      authMode: "clerk",
      user: { id: expect.any(String), email: "bob@example.com", name: "Bob", plan: "free", tokenBalance: 100 },
    });

    const again = await me(get("/api/me", bearer(await sessionToken({ email: "bob@example.com", name: "Bob" }))), ctx);
    expect((await again.json()).user).toEqual(body.user);

    const store = await getStore();
    const ledger = await store.listLedger(body.user.id);
    expect(ledger.filter((e) => e.reason === "trial")).toHaveLength(1);
    expect((await store.getUserByExternalId("user_2abc"))?.id).toBe(body.user.id);
  });

  it("accepts any of the authorized parties", async () => {
    const token = await sessionToken({ azp: "https://autocrea.example", email: "c@example.com" });
    expect((await me(get("/api/me", bearer(token)), ctx)).status).toBe(200);
  });

  it("finds a known user from a token without email claims (no Backend API call)", async () => {
    const created = await getUser(get("/api/me", bearer(await sessionToken({ email: "dana@example.com", name: "Dana" }))));
    const found = await getUser(get("/api/me", bearer(await sessionToken())));
    expect(found).toEqual(created);
  });

  it("reads the __session cookie when there is no Authorization header", async () => {
    const token = await sessionToken({ email: "erin@example.com" });
    const res = await me(get("/api/me", { cookie: `__session=${token}` }), ctx);
    expect(res.status).toBe(200);
    expect((await res.json()).user.email).toBe("erin@example.com");
  });

  it.each([
    ["expired", () => sessionToken({ email: "x@example.com", expiresInSec: -120 })],
    ["issued for another party (azp)", () => sessionToken({ email: "x@example.com", azp: "https://evil.example" })],
    ["signed by another key", () => sessionToken({ email: "x@example.com", key: otherKeys.privateKey })],
  ])("refuses a token that is %s with 401 and creates nobody", async (_label, mint) => {
    const res = await me(get("/api/me", bearer(await mint())), ctx);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "unauthorized" });
    expect(await (await getStore()).getUserByEmail("x@example.com")).toBeNull();
  });

  it("refuses garbage and a token with its payload altered", async () => {
    expect((await me(get("/api/me", bearer("not.a.jwt")), ctx)).status).toBe(401);
    const [header, , signature] = (await sessionToken({ email: "x@example.com" })).split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ sub: "user_admin", azp: APP_URL, email: "x@example.com", exp: 9999999999 })).toString("base64url");
    expect((await me(get("/api/me", bearer(`${header}.${forgedPayload}.${signature}`)), ctx)).status).toBe(401);
  });

  it("refuses a cookie-authenticated cross-site POST but not a bearer one", async () => {
    const token = await sessionToken({ email: "fay@example.com" });
    const viaCookie = jsonPost("/api/anything", {}, { cookie: `__session=${token}`, origin: "https://evil.example" });
    await expect(getUser(viaCookie)).rejects.toMatchObject({ status: 403, code: "csrf" });
    const viaBearer = jsonPost("/api/anything", {}, { ...bearer(token), origin: "https://evil.example" });
    expect((await getUser(viaBearer))?.email).toBe("fay@example.com");
  });
});
