import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as login } from "@/app/api/auth/login/route";
import { POST as register } from "@/app/api/auth/register/route";
import { RATE_LIMITS } from "@/lib/rate-limit";

const { loginFailuresUnknownIp: LOGIN_FAILURES_PER_ACCOUNT_UNKNOWN_IP, loginFailuresPerIp: LOGIN_FAILURES_PER_IP, registerEmail: REGISTER_PER_EMAIL_PER_IP, register: REGISTER_PER_IP } =
  RATE_LIMITS;
import { trackPeerAddresses, withPeerAddress } from "@/lib/http/peer-address";
import { jsonPost, withTestApp } from "./support/app";

/**
 * The sign-in and sign-up limits as an attacker meets them: client addresses that cannot be
 * made up, no shared bucket for unknown addresses, and failed sign-ins counted per account and
 * address so nobody can lock an account's owner out.
 *
 * Password hashing is replaced by a fast stand-in here (hundreds of attempts; scrypt is what
 * auth-password.test.ts and auth-local.test.ts exercise): the limits are what is tested.
 */
vi.mock("@/lib/auth/password", () => ({
  hashPassword: async (password: string) => `test$${password}`,
  verifyPassword: async (password: string, encoded: string) => encoded === `test$${password}`,
  verifyAgainstDummy: async () => false as const,
}));

const ctx = undefined;
const PASSWORD = "correct horse battery";

const attempt = (email: string, password: string, headers: Record<string, string> = {}) =>
  login(jsonPost("/api/auth/login", { email, password }, headers), ctx);
/** A sign-in attempt over a socket from `peer` (undefined: no socket address known). */
const loginFrom = (peer: string | undefined, email: string, password: string, headers: Record<string, string> = {}) =>
  withPeerAddress(peer, () => attempt(email, password, headers));
const registerFrom = (peer: string | undefined, email: string, headers: Record<string, string> = {}) =>
  withPeerAddress(peer, () => register(jsonPost("/api/auth/register", { name: "Someone", email, password: PASSWORD }, headers), ctx));

async function statusesOf(responses: Array<() => Promise<Response>>): Promise<number[]> {
  const statuses: number[] = [];
  for (const send of responses) statuses.push((await send()).status);
  return statuses;
}

const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

describe("sign-in limits, no proxy trusted (the socket's address)", () => {
  withTestApp({}, { perTest: true });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("45 wrong sign-ins from one socket, each with a made-up X-Forwarded-For, meet a 429 after 30", async () => {
    const statuses = await statusesOf(
      times(45, (i) => () => loginFrom("198.51.100.1", `stuffed-${i}@example.com`, "wrong password", { "x-forwarded-for": `203.0.113.${i}` })),
    );
    expect(LOGIN_FAILURES_PER_IP.max).toBe(30);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses.slice(30)).toEqual(Array(15).fill(429));

    const refused = await loginFrom("198.51.100.1", "one-more@example.com", "wrong password", { "x-forwarded-for": "192.0.2.200" });
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(60);
    expect(await refused.json()).toMatchObject({ error: "rate_limited", message: expect.stringMatching(/^Too many failed sign-ins from your network\./) });
    // Another socket address is not affected.
    expect((await loginFrom("198.51.100.2", "stuffed-0@example.com", "wrong password")).status).toBe(401);
  });

  it("wrong passwords for one account from one address wait, and the wait grows", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    await registerFrom("192.0.2.1", "target@example.com");
    const guess = () => loginFrom("198.51.100.3", "target@example.com", "wrong password");
    const burst = (n: number) => statusesOf(times(n, () => guess));
    const retryAfter = async () => {
      const res = await guess();
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ message: expect.stringMatching(/^Too many failed sign-ins for this account from your network\./) });
      return Number(res.headers.get("Retry-After"));
    };

    expect(await burst(5)).toEqual(Array(5).fill(401));
    const first = await retryAfter();
    expect(first).toBeLessThanOrEqual(60);

    vi.advanceTimersByTime(61_000);
    expect(await burst(5)).toEqual(Array(5).fill(401));
    const second = await retryAfter();
    expect(second).toBeGreaterThan(13 * 60);

    vi.advanceTimersByTime(15 * 60_000);
    expect(await burst(5)).toEqual(Array(5).fill(401));
    vi.advanceTimersByTime(61_000);
    expect(await burst(5)).toEqual(Array(5).fill(401));
    const third = await retryAfter();
    expect(third).toBeGreaterThan(90 * 60);
    expect([first, second, third]).toEqual([...[first, second, third]].sort((a, b) => a - b));

    // All the while, the owner signs in from their own address.
    expect((await loginFrom("192.0.2.1", "target@example.com", PASSWORD)).status).toBe(200);
  });

  it("the owner of an account attacked with many wrong passwords from address A signs in with the right one from address B", async () => {
    await registerFrom("192.0.2.10", "owner@example.com");
    await registerFrom("192.0.2.11", "bystander@example.com");
    const attacker = "198.51.100.4";
    // 40 wrong passwords for the owner, then 40 more on other accounts: A is refused everything.
    const onOwner = await statusesOf(times(40, (i) => () => loginFrom(attacker, "owner@example.com", `guess ${i}`, { "x-forwarded-for": "192.0.2.10" })));
    expect(onOwner.filter((s) => s === 401)).toHaveLength(5);
    expect(onOwner.filter((s) => s === 429)).toHaveLength(35);
    const elsewhere = await statusesOf(times(40, (i) => () => loginFrom(attacker, `other-${i}@example.com`, "wrong password")));
    expect(elsewhere.filter((s) => s === 401)).toHaveLength(LOGIN_FAILURES_PER_IP.max - 5);
    expect((await loginFrom(attacker, "owner@example.com", PASSWORD)).status).toBe(429);
    expect((await loginFrom(attacker, "bystander@example.com", PASSWORD)).status).toBe(429);

    // B has not failed: the owner signs in, as does everyone elsewhere.
    expect((await loginFrom("192.0.2.10", "owner@example.com", PASSWORD)).status).toBe(200);
    expect((await loginFrom("2001:db8:aa::1", "owner@example.com", PASSWORD)).status).toBe(200);
    expect((await loginFrom("192.0.2.11", "bystander@example.com", PASSWORD)).status).toBe(200);
  });

  it("only failures count: many right passwords from one address (an office behind NAT) are never refused", async () => {
    const nat = "198.51.100.5";
    const users = times(8, (i) => `colleague-${i}@example.com`);
    for (const email of users) expect((await registerFrom("192.0.2.20", email)).status).toBe(201);
    // A colleague's typos and a stranger's guesses from the same address: 29 failures, under the ceiling.
    await statusesOf(times(4, () => () => loginFrom(nat, users[0], "typo typo")));
    await statusesOf(times(25, (i) => () => loginFrom(nat, `unknown-${i}@example.com`, "guess")));
    const signIns = await statusesOf(times(48, (i) => () => loginFrom(nat, users[i % users.length], PASSWORD)));
    expect(signIns).toEqual(Array(48).fill(200));
  });

  it("parallel guesses count while in flight: of 20 at once for one account from one address, 5 are checked", async () => {
    await registerFrom("192.0.2.30", "parallel@example.com");
    const responses = await withPeerAddress("198.51.100.6", () =>
      Promise.all(times(20, (i) => attempt("parallel@example.com", `guess ${i}`))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect((await loginFrom("192.0.2.30", "parallel@example.com", PASSWORD)).status).toBe(200);
  });

  it("requests whose address is unknown share no bucket: their failures never refuse anyone with an address", async () => {
    await registerFrom("192.0.2.40", "known@example.com");
    // No socket address recorded, and X-Forwarded-For (untrusted) of every shape.
    const shapes = [",", "", "garbage", "unknown", " , 1.2.3.4", "999.1.1.1", "_hidden"];
    const unknown = await statusesOf(
      times(60, (i) => () => loginFrom(undefined, `spray-${i}@example.com`, "wrong password", shapes[i % shapes.length] ? { "x-forwarded-for": shapes[i % shapes.length] } : {})),
    );
    expect(unknown).toEqual(Array(60).fill(401));
    expect((await loginFrom("192.0.2.40", "known@example.com", PASSWORD)).status).toBe(200);
    expect((await loginFrom("192.0.2.41", "spray-0@example.com", "wrong password")).status).toBe(401);
  });

  it("failures of unknown address on one account refuse only unknown-address attempts on it", async () => {
    await registerFrom("192.0.2.50", "victim@example.com");
    const max = LOGIN_FAILURES_PER_ACCOUNT_UNKNOWN_IP.max;
    const statuses = await statusesOf(times(max + 1, () => () => loginFrom(undefined, "victim@example.com", "wrong password", { "x-forwarded-for": "," })));
    expect(statuses).toEqual([...Array(max).fill(401), 429]);
    // The owner (a known address) is not counted in it nor refused by it; other accounts neither.
    expect((await loginFrom("192.0.2.50", "victim@example.com", PASSWORD)).status).toBe(200);
    expect((await loginFrom(undefined, "someone-else@example.com", "wrong password")).status).toBe(401);
  });
});

describe("sign-in limits behind TRUSTED_PROXY_HOPS=1", () => {
  withTestApp({ TRUSTED_PROXY_HOPS: "1" }, { perTest: true });
  // The proxy's own address is the socket's: the same for every client.
  const viaProxy = (email: string, password: string, forwardedFor?: string) =>
    loginFrom("10.0.0.2", email, password, forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor });

  it("counts the right-most X-Forwarded-For entry; a spoofed entry to its left changes nothing", async () => {
    const statuses = await statusesOf(times(31, (i) => () => viaProxy(`stuffed-${i}@example.com`, "wrong password", `198.18.${i}.1, 203.0.113.7`)));
    expect(statuses).toEqual([...Array(30).fill(401), 429]);
    // Two spoofed entries, or a spoofed one alone in front: still 203.0.113.7.
    expect((await viaProxy("x@example.com", "wrong password", "1.1.1.1, 8.8.8.8, 203.0.113.7")).status).toBe(429);
    // Another client behind the same proxy, and the proxy's own address, are not affected.
    expect((await viaProxy("stuffed-0@example.com", "wrong password", "203.0.113.7, 203.0.113.8")).status).toBe(401);
    await registerFrom("10.0.0.2", "owner@example.com", { "x-forwarded-for": "203.0.113.9" });
    expect((await viaProxy("owner@example.com", PASSWORD, "203.0.113.9")).status).toBe(200);
  });

  it("`X-Forwarded-For: ,`, garbage or a missing header never makes a bucket that blocks others", async () => {
    await registerFrom("10.0.0.2", "owner@example.com", { "x-forwarded-for": "203.0.113.20" });
    const garbage = [",", ", ,", "garbage", "unknown", "203.0.113.20, ", "300.1.2.3", "<script>", undefined];
    const statuses = await statusesOf(times(64, (i) => () => viaProxy(`spray-${i}@example.com`, "wrong password", garbage[i % garbage.length])));
    expect(statuses).toEqual(Array(64).fill(401));
    expect((await viaProxy("owner@example.com", PASSWORD, "203.0.113.20")).status).toBe(200);
    expect((await viaProxy("spray-1@example.com", "wrong password", "203.0.113.21")).status).toBe(401);
  });
});

describe("sign-up limits", () => {
  withTestApp({}, { perTest: true });

  it("20 sign-ups per address through the shared per-address rule; made-up X-Forwarded-For changes nothing", async () => {
    expect(REGISTER_PER_IP.max).toBe(20);
    const statuses = await statusesOf(times(21, (i) => () => registerFrom("198.51.100.7", `new-${i}@example.com`, { "x-forwarded-for": `203.0.113.${i}` })));
    expect(statuses).toEqual([...Array(20).fill(201), 429]);
    expect((await registerFrom("198.51.100.8", "elsewhere@example.com")).status).toBe(201);
  });

  it("an unknown address is never one shared bucket: sign-ups without one are not limited together", async () => {
    const statuses = await statusesOf(times(25, (i) => () => registerFrom(undefined, `anon-${i}@example.com`, { "x-forwarded-for": i % 2 ? "," : "garbage" })));
    expect(statuses).toEqual(Array(25).fill(201));
    expect((await registerFrom("198.51.100.9", "known@example.com")).status).toBe(201);
  });

  it("attempts on one email from one address do not stop sign-ups for it from elsewhere", async () => {
    const max = REGISTER_PER_EMAIL_PER_IP.max;
    const statuses = await statusesOf(times(max + 1, () => () => registerFrom("198.51.100.10", "wanted@example.com")));
    expect(statuses).toEqual([201, ...Array(max - 1).fill(409), 429]);
    expect((await registerFrom("198.51.100.11", "wanted@example.com")).status).toBe(409);
  });

  it("enumerating emails through sign-up: 5 'already has an account' answers an hour per address, then 429 whatever the email", async () => {
    const known = times(8, (i) => `member-${i}@example.com`);
    for (const email of known) expect((await registerFrom("198.51.100.12", email)).status).toBe(201);

    const max = RATE_LIMITS.registerTaken.max;
    expect(max).toBe(5);
    const probes = await statusesOf(known.map((email, i) => () => registerFrom("198.51.100.13", email, { "x-forwarded-for": `203.0.113.${i}` })));
    expect(probes).toEqual([...Array(max).fill(409), ...Array(known.length - max).fill(429)]);
    const refused = await registerFrom("198.51.100.13", "member-0@example.com");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(10 * 60);

    // Free emails are given back: many sign-ups from one address never fill it.
    const office = await statusesOf(times(10, (i) => () => registerFrom("198.51.100.14", `colleague-${i}@example.com`)));
    expect(office).toEqual(Array(10).fill(201));
    expect((await registerFrom("198.51.100.14", "member-1@example.com")).status).toBe(409);
    // Another address is not affected.
    expect((await registerFrom("198.51.100.15", "member-2@example.com")).status).toBe(409);
  });
});

describe("over a real socket (the instrumentation's diagnostics-channel tracking)", () => {
  withTestApp({}, { perTest: true });
  let server: Server;
  let port: number;

  /** What Next does for a route handler, in small: the socket's request as a Web Request. */
  async function handle(req: IncomingMessage): Promise<Response> {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    const request = new Request(new URL(req.url ?? "/", "http://localhost:3000"), { method: req.method, headers, body, duplex: "half" } as RequestInit);
    return req.url === "/api/auth/register" ? register(request, ctx) : login(request, ctx);
  }

  beforeAll(async () => {
    trackPeerAddresses();
    server = createServer((req, res) => {
      void handle(req).then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function post(path: string, body: unknown, { from, forwardedFor }: { from: string; forwardedFor?: string }): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path,
          method: "POST",
          localAddress: from,
          headers: { "content-type": "application/json", origin: "http://localhost:3000", ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(body));
    });
  }

  it("the socket's peer address is the client's: made-up X-Forwarded-For headers from 127.0.0.1 meet a 429, 127.0.0.2 signs in", async () => {
    expect(await post("/api/auth/register", { name: "Owner", email: "owner@example.com", password: PASSWORD }, { from: "127.0.0.2" })).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      statuses.push(await post("/api/auth/login", { email: `stuffed-${i}@example.com`, password: "wrong password" }, { from: "127.0.0.1", forwardedFor: `203.0.113.${i}` }));
    }
    expect(statuses).toEqual([...Array(30).fill(401), 429]);
    expect(await post("/api/auth/login", { email: "owner@example.com", password: PASSWORD }, { from: "127.0.0.2", forwardedFor: "127.0.0.1" })).toBe(200);
    expect(await post("/api/auth/login", { email: "owner@example.com", password: PASSWORD }, { from: "127.0.0.1", forwardedFor: "127.0.0.2" })).toBe(429);
  });
});
