import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST as explain } from "@/app/api/ai/explain/route";
import { HttpError } from "@/lib/http/errors";
import { withPeerAddress } from "@/lib/http/peer-address";
import { enforceIpLimit, enforceLimit, limit, releaseLimit, reserveLimits, resetRateLimitsForTests } from "@/lib/rate-limit";
import { createSqliteStore } from "@/lib/store/sqlite";
import { startAiTestApp, type AiTestApp } from "./ai-test-app";
import { authed, withTestApp } from "./support/app";

/** Store-backed rate limits: the 429 contract, sharing across app instances, per-IP limits on routes. */

const dir = mkdtempSync(path.join(tmpdir(), "autocrea-rate-limit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("enforceLimit over the store", () => {
  withTestApp({}, { perTest: true });

  it("throws a 429 HttpError carrying Retry-After once the window is full", async () => {
    const opts = { max: 1, windowMs: 60_000 };
    await enforceLimit("it:enforce", opts);
    let thrown: unknown;
    try {
      await enforceLimit("it:enforce", opts, "Slow down.");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    const err = thrown as HttpError;
    expect(err.status).toBe(429);
    expect(err.code).toBe("rate_limited");
    expect(err.message).toMatch(/^Slow down\. Try again in \d+ seconds?\.$/);
    expect(Number(err.headers["Retry-After"])).toBeGreaterThanOrEqual(59);
    expect(err.extra.retryAfterSec).toBe(Number(err.headers["Retry-After"]));
    expect(await limit("it:enforce", opts)).toMatchObject({ ok: false, remaining: 0 });
    expect(await limit("it:other", opts)).toEqual({ ok: true, remaining: 0, retryAfterSec: 0 });
  });

  it("resetRateLimitsForTests starts every counter from zero", async () => {
    const opts = { max: 1, windowMs: 60_000 };
    await limit("it:reset", opts);
    expect((await limit("it:reset", opts)).ok).toBe(false);
    resetRateLimitsForTests();
    expect((await limit("it:reset", opts)).ok).toBe(true);
  });

  it("enforceIpLimit counts per client address and skips requests whose address is unknown", async () => {
    const rule = { per: "ip", scope: "it", max: 1, windowMs: 60_000, message: "Too many." } as const;
    const from = (peer: string | undefined, forwardedFor?: string) =>
      withPeerAddress(peer, () =>
        enforceIpLimit(new Request("http://localhost:3000/x", { headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {} }), rule),
      );
    await from("203.0.113.7");
    await expect(from("203.0.113.7")).rejects.toMatchObject({ status: 429 });
    // No proxy is trusted by default: a made-up X-Forwarded-For does not make a new counter.
    await expect(from("203.0.113.7", "198.51.100.99")).rejects.toMatchObject({ status: 429 });
    await from("203.0.113.8");
    // IPv6 counts per /64: another address in the same /64 is the same client.
    await from("2001:db8:1:2::1");
    await expect(from("2001:db8:1:2:ffff::9")).rejects.toMatchObject({ status: 429 });
    await from("2001:db8:1:3::1");
    // Unknown (no socket address recorded): skipped, never one shared counter.
    await from(undefined);
    await from(undefined, "garbage");
    await from(undefined, ",");
  });

  it("reserveLimits counts on every key at once, gives them all back when one is full, and on release", async () => {
    const a = { key: "it:reserve:a", options: { max: 2, windowMs: 60_000 }, message: "A is full." };
    const b = { key: "it:reserve:b", options: { max: 1, windowMs: 60_000 }, message: "B is full." };
    const first = await reserveLimits([a, b]);
    // b is full: the 429 names it, and a's hit is given back.
    await expect(reserveLimits([a, b])).rejects.toMatchObject({ status: 429, message: expect.stringMatching(/^B is full\. Try again in/) });
    expect(await limit(a.key, a.options)).toMatchObject({ ok: true, remaining: 0 });
    await releaseLimit(a.key);
    // Releasing gives both back (twice is once).
    await first.release();
    await first.release();
    const second = await reserveLimits([a, b]);
    await expect(reserveLimits([b])).rejects.toMatchObject({ status: 429 });
    await second.release();
    expect(await limit(b.key, b.options)).toMatchObject({ ok: true });
  });
});

describe("limits shared by app instances", () => {
  it("two stores on one SQLite file count against the same window", async () => {
    const file = path.join(dir, "shared", "autocrea.db");
    const a = await createSqliteStore(file);
    const b = await createSqliteStore(file);
    const window = { max: 3, windowMs: 60_000 };
    try {
      expect((await a.hitRateLimit("login:ip:198.51.100.1", window)).remaining).toBe(2);
      expect((await b.hitRateLimit("login:ip:198.51.100.1", window)).remaining).toBe(1);
      expect((await a.hitRateLimit("login:ip:198.51.100.1", window)).remaining).toBe(0);
      expect((await b.hitRateLimit("login:ip:198.51.100.1", window)).ok).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("four processes hitting one key at once get exactly max hits allowed", async () => {
    const file = path.join(dir, "race", "autocrea.db");
    await (await createSqliteStore(file)).close();
    const max = 17;
    const children = Array.from({ length: 4 }, () =>
      fork(fileURLToPath(new URL("./rate-limit-worker.ts", import.meta.url)), [file, "race-key", String(max), "10"], {
        execArgv: ["--import", "tsx"],
      }),
    );
    const nextMessage = (child: ChildProcess) =>
      new Promise<unknown>((resolve, reject) => {
        child.once("message", resolve);
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
      });
    try {
      await Promise.all(children.map(nextMessage));
      const results = children.map((child) => nextMessage(child) as Promise<{ allowed: number }>);
      for (const child of children) child.send("go");
      const allowed = (await Promise.all(results)).map((r) => r.allowed);
      expect(allowed.reduce((sum, n) => sum + n, 0)).toBe(max);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
    }
  });
});

describe("per-IP limit on the AI endpoints", () => {
  let app: AiTestApp;
  beforeEach(async () => {
    app = await startAiTestApp();
    resetRateLimitsForTests();
  });
  afterEach(async () => {
    await app.cleanup();
  });

  it("many accounts behind one IP share 60 requests a minute; another IP is unaffected", async () => {
    const users = await Promise.all([app.signUp(), app.signUp(), app.signUp()]);
    let sent = 0;
    const fromNetwork = (cookie: string, peer = "203.0.113.50") =>
      // Each with a made-up X-Forwarded-For: only the socket's address counts.
      withPeerAddress(peer, () =>
        explain(authed("POST", "/api/ai/explain", cookie, { language: "javascript" }, { "x-forwarded-for": `10.2.${Math.floor(sent / 250)}.${sent++ % 250}` }), undefined),
      );
    // Invalid bodies (400) still count: the limit is checked before the body is read.
    for (let i = 0; i < 60; i += 1) {
      const response = await fromNetwork(users[i % 3].cookie);
      expect(response.status).toBe(400);
    }
    const refused = await fromNetwork(users[0].cookie);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: "rate_limited", message: expect.stringMatching(/your network/) });

    const elsewhere = await fromNetwork(users[0].cookie, "203.0.113.51");
    expect(elsewhere.status).toBe(400);
  });
});
