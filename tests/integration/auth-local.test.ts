import { describe, expect, it } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as logout } from "@/app/api/auth/logout/route";
import { POST as register } from "@/app/api/auth/register/route";
import { GET as me } from "@/app/api/me/route";
import { NextResponse } from "next/server";
import { SESSION_COOKIE, hashSessionToken, sessionCookieSecure, setSessionCookie } from "@/lib/auth/session";
import { withPeerAddress } from "@/lib/http/peer-address";
import { getStore } from "@/lib/store";
import { APP_URL, cookieFrom, get, jsonPost, withTestApp } from "./support/app";

const ctx = undefined;
const alice = { name: "Alice Example", email: "Alice@Example.com", password: "correct horse battery" };

async function registerAlice(overrides: Partial<typeof alice> = {}, headers: Record<string, string> = {}) {
  return register(jsonPost("/api/auth/register", { ...alice, ...overrides }, headers), ctx);
}

describe("local accounts", () => {
  const app = withTestApp({}, { perTest: true });

  it("register answers 201 with the user, sets a hardened session cookie, and /api/me shows 100 credits", async () => {
    const res = await registerAlice();
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.user).toEqual({ id: expect.any(String), email: "alice@example.com", name: "Alice Example", plan: "free", tokenBalance: 100 });
    expect(JSON.stringify(body)).not.toMatch(/scrypt|password/i);

    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/i); // not production
    const expires = Date.parse(/Expires=([^;]+)/i.exec(setCookie)![1]);
    expect(expires - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);

    const meRes = await me(get("/api/me", { cookie: cookieFrom(res, SESSION_COOKIE) }), ctx);
    expect(meRes.status).toBe(200);
    expect(await meRes.json()).toEqual({ user: body.user, authMode: "local" });
  });

  it("stores only the hash of the session token", async () => {
    const res = await registerAlice();
    const token = cookieFrom(res, SESSION_COOKIE).split("=")[1];
    const store = await getStore();
    expect(await store.getSession(token)).toBeNull();
    expect(await store.getSession(hashSessionToken(token))).toMatchObject({ userId: (await res.json()).user.id });
  });

  it("marks the cookie Secure when the app is served over https, whatever NODE_ENV says", async () => {
    await app.reopen({ NODE_ENV: "production" });
    const overHttp = await registerAlice();
    expect(overHttp.status).toBe(201);
    expect(overHttp.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))).not.toMatch(/; Secure/i);

    const secure = (APP_URL: string | undefined, isProduction: boolean) =>
      sessionCookieSecure({ APP_URL: APP_URL ?? "http://localhost:3000", appUrlSet: APP_URL !== undefined, isProduction });
    expect(secure("https://autocrea.example.com", false)).toBe(true);
    expect(secure("http://autocrea.internal:3000", true)).toBe(false);
    // APP_URL not set: a production build's cookie is Secure, a development server's is not.
    expect(secure(undefined, true)).toBe(true);
    expect(secure(undefined, false)).toBe(false);
    const response = NextResponse.json({});
    await app.reopen({ NODE_ENV: "development", APP_URL: "https://autocrea.example.com" });
    setSessionCookie(response, "token", Date.now() + 60_000);
    expect(response.headers.getSetCookie()[0]).toMatch(/; Secure/i);
  });

  it("refuses a second account with the same email (any case) with 409", async () => {
    expect((await registerAlice()).status).toBe(201);
    const res = await registerAlice({ email: "ALICE@example.COM", name: "Other" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "conflict", message: expect.stringMatching(/already exists/) });
  });

  it.each([
    ["malformed JSON", "{not json", "invalid_json"],
    ["an empty body", "", "invalid_json"],
    ["a JSON array", [], "invalid_request"],
    ["a missing email", { name: "A", password: "long enough" }, "invalid_request"],
    ["a missing password", { name: "A", email: "a@example.com" }, "invalid_request"],
    ["a missing name", { email: "a@example.com", password: "long enough" }, "invalid_request"],
    ["a numeric password", { name: "A", email: "a@example.com", password: 12345678 }, "invalid_request"],
    ["an object email", { name: "A", email: { x: 1 }, password: "long enough" }, "invalid_request"],
    ["a 300-character name", { name: "n".repeat(300), email: "a@example.com", password: "long enough" }, "invalid_request"],
    ["a blank name", { name: "   ", email: "a@example.com", password: "long enough" }, "invalid_request"],
    ["a short password", { name: "A", email: "a@example.com", password: "short" }, "invalid_request"],
    ["a 201-character password", { name: "A", email: "a@example.com", password: "p".repeat(201) }, "invalid_request"],
    ["an invalid email", { name: "A", email: "not-an-email", password: "long enough" }, "invalid_request"],
    ["a 255-character email", { name: "A", email: `${"e".repeat(243)}@example.com`, password: "long enough" }, "invalid_request"],
  ])("register rejects %s with a 400 JSON error", async (_label, body, code) => {
    const res = await register(jsonPost("/api/auth/register", body), ctx);
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.error).toBe(code);
    expect(typeof json.message).toBe("string");
    expect(json.message).not.toMatch(/\bat\s.+\(.*:\d+:\d+\)/); // no stack frames
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("gives field-specific messages the form can show", async () => {
    const short = await register(jsonPost("/api/auth/register", { name: "A", email: "a@example.com", password: "short" }), ctx);
    expect((await short.json()).message).toBe("Password must be at least 8 characters.");
    const longName = await register(jsonPost("/api/auth/register", { name: "n".repeat(300), email: "a@example.com", password: "long enough" }), ctx);
    expect((await longName.json()).message).toBe("Name must be at most 80 characters.");
  });

  it("login with the right password answers 200 with a new session; email is case-insensitive", async () => {
    await registerAlice();
    const res = await login(jsonPost("/api/auth/login", { email: " ALICE@example.com ", password: alice.password }), ctx);
    expect(res.status).toBe(200);
    expect((await res.json()).user).toMatchObject({ email: "alice@example.com", tokenBalance: 100 });
    const meRes = await me(get("/api/me", { cookie: cookieFrom(res, SESSION_COOKIE) }), ctx);
    expect(meRes.status).toBe(200);
  });

  it("answers the same 401 for a wrong password and for an unknown email", async () => {
    await registerAlice();
    const wrong = await login(jsonPost("/api/auth/login", { email: alice.email, password: "wrong password" }), ctx);
    const unknown = await login(jsonPost("/api/auth/login", { email: "nobody@example.com", password: alice.password }), ctx);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    // Alike but for the request id each answer carries.
    const expected = { error: "invalid_credentials", message: "Email or password is incorrect.", requestId: expect.any(String) };
    expect(await wrong.json()).toEqual(expected);
    expect(await unknown.json()).toEqual(expected);
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });

  it("login rejects bad input with 400", async () => {
    const res = await login(jsonPost("/api/auth/login", { email: "a@example.com" }), ctx);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", message: "Password is required." });
  });

  it("logout deletes the session and clears the cookie", async () => {
    const res = await registerAlice();
    const cookie = cookieFrom(res, SESSION_COOKIE);

    const out = await logout(jsonPost("/api/auth/logout", {}, { cookie }), ctx);
    expect(out.status).toBe(200);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cleared).toMatch(new RegExp(`^${SESSION_COOKIE}=;`));
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);

    const after = await me(get("/api/me", { cookie }), ctx);
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: "unauthorized" });
  });

  it("/api/me answers 401 without a cookie or with a forged one", async () => {
    expect((await me(get("/api/me"), ctx)).status).toBe(401);
    const forged = `${SESSION_COOKIE}=${"A".repeat(43)}`;
    expect((await me(get("/api/me", { cookie: forged }), ctx)).status).toBe(401);
    expect((await me(get("/api/me", { cookie: `${SESSION_COOKIE}=garbage` }), ctx)).status).toBe(401);
  });

  it("counts wrong passwords per account and address: the 6th within a minute answers 429 with Retry-After, the owner elsewhere still signs in", async () => {
    await registerAlice();
    const attempt = (password: string, headers: Record<string, string> = {}) =>
      login(jsonPost("/api/auth/login", { email: alice.email, password }, headers), ctx);
    const statuses: number[] = [];
    // One address (the socket's); the made-up X-Forwarded-For of each attempt changes nothing.
    await withPeerAddress("198.51.100.20", async () => {
      for (let i = 0; i < 6; i++) statuses.push((await attempt("wrong password", { "x-forwarded-for": `10.0.0.${i}` })).status);
      const limited = await attempt("wrong password");
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers.get("Retry-After"))).toBeLessThanOrEqual(60);
      expect(await limited.json()).toMatchObject({ error: "rate_limited", message: expect.stringMatching(/Try again in \d+ seconds?/) });
      // The address that failed waits, even with the right password: no bypass by guessing right.
      expect((await attempt(alice.password)).status).toBe(429);
    });
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // The owner, from an address that has not failed, is not refused because of those failures.
    const owner = await withPeerAddress("203.0.113.20", () => attempt(alice.password));
    expect(owner.status).toBe(200);
  });

  it("rate-limits registrations per address", async () => {
    const statuses: number[] = [];
    await withPeerAddress("192.0.2.7", async () => {
      for (let i = 0; i < 21; i++) {
        // A made-up X-Forwarded-For on each: the socket's address is the one counted.
        const res = await register(jsonPost("/api/auth/register", { name: "x", email: `bad-${i}`, password: "long enough" }, { "x-forwarded-for": `10.1.0.${i}` }), ctx);
        statuses.push(res.status);
      }
    });
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(400));
    expect(statuses[20]).toBe(429);
    // Another address is unaffected.
    expect((await withPeerAddress("192.0.2.8", () => registerAlice())).status).toBe(201);
  });

  it("refuses cross-origin POSTs with 403 csrf", async () => {
    const evil = { origin: "https://evil.example" };
    const reg = await registerAlice({}, evil);
    expect(reg.status).toBe(403);
    expect(await reg.json()).toMatchObject({ error: "csrf" });

    const ok = await registerAlice({}, { origin: APP_URL });
    expect(ok.status).toBe(201);
    const cookie = cookieFrom(ok, SESSION_COOKIE);

    const loginRes = await login(jsonPost("/api/auth/login", { email: alice.email, password: alice.password }, evil), ctx);
    expect(loginRes.status).toBe(403);

    const out = await logout(jsonPost("/api/auth/logout", {}, { cookie, "sec-fetch-site": "cross-site" }), ctx);
    expect(out.status).toBe(403);
    // The session survived the forged logout.
    expect((await me(get("/api/me", { cookie }), ctx)).status).toBe(200);
  });

  it("local endpoints do not exist in Clerk mode", async () => {
    await app.reopen({
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_x",
      CLERK_SECRET_KEY: "sk_test_x",
      CLERK_JWT_KEY: "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----",
    });
    const res = await registerAlice();
    expect(res.status).toBe(404);
    expect((await login(jsonPost("/api/auth/login", { email: alice.email, password: alice.password }), ctx)).status).toBe(404);
  });
});
