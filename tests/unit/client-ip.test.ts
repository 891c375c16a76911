import { afterEach, describe, expect, it, vi } from "vitest";
import { EnvError, loadEnv, resetEnvForTests } from "@/lib/env";
import { addressKey, clientAddressKey, clientIp, forwardedForEntry, parseIpAddress } from "@/lib/http/client-ip";
import { withPeerAddress } from "@/lib/http/peer-address";

describe("parseIpAddress", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["203.0.113.7:51234", "203.0.113.7"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
  ])("IPv4 %j → %j", (raw, expected) => {
    expect(parseIpAddress(raw)).toBe(expected);
  });

  it.each([
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::1", "::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ])("IPv6 %j → %j (canonical)", (raw, expected) => {
    expect(parseIpAddress(raw)).toBe(expected);
  });

  it.each([
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:203.0.113.7", "203.0.113.7"],
    ["::ffff:cb00:7107", "203.0.113.7"],
    ["0:0:0:0:0:ffff:127.0.0.1", "127.0.0.1"],
    ["[::ffff:127.0.0.1]:8080", "127.0.0.1"],
  ])("an IPv4-mapped IPv6 address %j is the IPv4 address %j", (raw, expected) => {
    expect(parseIpAddress(raw)).toBe(expected);
  });

  it.each([
    [undefined],
    [null],
    [""],
    ["   "],
    [","],
    ["unknown"],
    ["_hidden"],
    ["garbage"],
    ["1.2.3"],
    ["1.2.3.4.5"],
    ["256.1.1.1"],
    ["01.2.3.4"],
    ["1.2.3.4 5.6.7.8"],
    ["1.2.3.4, 5.6.7.8"],
    ["2001:db8::1::2"],
    ["2001:db8:::1"],
    ["[1.2.3.4]"],
    ["[2001:db8::1"],
    ["::ffff:1.2.3.4:80"],
    ["<script>alert(1)</script>"],
    ["1".repeat(100)],
  ])("%j is not an address", (raw) => {
    expect(parseIpAddress(raw)).toBeUndefined();
  });
});

describe("forwardedForEntry (TRUSTED_PROXY_HOPS)", () => {
  it("takes the n-th entry from the right", () => {
    const header = "198.51.100.1, 203.0.113.7, 10.0.0.2";
    expect(forwardedForEntry(header, 1)).toBe("10.0.0.2");
    expect(forwardedForEntry(header, 2)).toBe("203.0.113.7");
    expect(forwardedForEntry(header, 3)).toBe("198.51.100.1");
  });

  it("is unknown when the hops go beyond the header", () => {
    expect(forwardedForEntry("203.0.113.7", 2)).toBeUndefined();
    expect(forwardedForEntry("198.51.100.1, 203.0.113.7", 3)).toBeUndefined();
    expect(forwardedForEntry("", 1)).toBeUndefined();
    expect(forwardedForEntry(null, 1)).toBeUndefined();
    expect(forwardedForEntry(undefined, 1)).toBeUndefined();
  });

  it("counts empty entries, so `,` cannot shift the position, and never falls back to another entry", () => {
    expect(forwardedForEntry(",", 1)).toBeUndefined();
    expect(forwardedForEntry(",", 2)).toBeUndefined();
    expect(forwardedForEntry("203.0.113.7,", 1)).toBeUndefined();
    expect(forwardedForEntry("203.0.113.7, garbage", 1)).toBeUndefined();
    expect(forwardedForEntry("garbage, 203.0.113.7", 1)).toBe("203.0.113.7");
    expect(forwardedForEntry(",,203.0.113.7", 1)).toBe("203.0.113.7");
  });

  it("normalises the entry it takes", () => {
    expect(forwardedForEntry("1.1.1.1, [2001:DB8::1]:443", 1)).toBe("2001:db8::1");
    expect(forwardedForEntry("1.1.1.1, ::ffff:203.0.113.7", 1)).toBe("203.0.113.7");
  });

  it("0 hops means no proxy: nothing is read from the header", () => {
    expect(forwardedForEntry("203.0.113.7", 0)).toBeUndefined();
  });
});

describe("addressKey", () => {
  it("keeps IPv4 and groups IPv6 by /64", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2::ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
  });
});

describe("the TRUSTED_PROXY_HOPS and TRUSTED_PROXY settings", () => {
  const load = (vars: Record<string, string>) => loadEnv({ NODE_ENV: "test", ...vars });

  it("no setting: the socket's address", () => {
    expect(load({}).clientAddress).toEqual({ from: "socket" });
    expect(load({ TRUSTED_PROXY_HOPS: "0" }).clientAddress).toEqual({ from: "socket" });
    expect(load({ TRUSTED_PROXY_HOPS: "" }).clientAddress).toEqual({ from: "socket" });
    expect(load({ TRUSTED_PROXY: "none" }).clientAddress).toEqual({ from: "socket" });
  });

  it("TRUSTED_PROXY_HOPS=n: the n-th X-Forwarded-For entry from the right", () => {
    expect(load({ TRUSTED_PROXY_HOPS: "1" }).clientAddress).toEqual({ from: "forwarded-for", hops: 1 });
    expect(load({ TRUSTED_PROXY_HOPS: " 2 " }).clientAddress).toEqual({ from: "forwarded-for", hops: 2 });
  });

  it("TRUSTED_PROXY=vercel, or running on Vercel (VERCEL=1) with neither set: Vercel's headers", () => {
    expect(load({ TRUSTED_PROXY: "vercel" }).clientAddress).toEqual({ from: "vercel" });
    expect(load({ VERCEL: "1" }).clientAddress).toEqual({ from: "vercel" });
    expect(load({ VERCEL: "1", TRUSTED_PROXY: "none" }).clientAddress).toEqual({ from: "socket" });
    expect(load({ VERCEL: "1", TRUSTED_PROXY_HOPS: "2" }).clientAddress).toEqual({ from: "forwarded-for", hops: 2 });
  });

  it.each([
    [{ TRUSTED_PROXY_HOPS: "one" }, /TRUSTED_PROXY_HOPS: must be a whole number from 0 to 99/],
    [{ TRUSTED_PROXY_HOPS: "-1" }, /TRUSTED_PROXY_HOPS: must be a whole number/],
    [{ TRUSTED_PROXY_HOPS: "1.5" }, /TRUSTED_PROXY_HOPS: must be a whole number/],
    [{ TRUSTED_PROXY_HOPS: "100" }, /TRUSTED_PROXY_HOPS: must be a whole number/],
    [{ TRUSTED_PROXY: "cloudflare" }, /TRUSTED_PROXY: must be "vercel" .* or "none"/],
    [{ TRUSTED_PROXY: "vercel", TRUSTED_PROXY_HOPS: "1" }, /set either TRUSTED_PROXY=vercel or TRUSTED_PROXY_HOPS, not both/],
  ])("refuses %j with a clear error", (vars, message) => {
    expect(() => load(vars)).toThrow(EnvError);
    expect(() => load(vars)).toThrow(message);
  });
});

describe("clientIp and clientAddressKey", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetEnvForTests();
  });
  const withEnv = (vars: Record<string, string>) => {
    vi.stubEnv("TRUSTED_PROXY_HOPS", "");
    vi.stubEnv("TRUSTED_PROXY", "");
    vi.stubEnv("VERCEL", "");
    for (const [key, value] of Object.entries(vars)) vi.stubEnv(key, value);
    resetEnvForTests();
  };
  const req = (headers: Record<string, string> = {}) => new Request("http://localhost:3000/x", { headers });

  it("by default: the socket's address; X-Forwarded-For and X-Real-IP are ignored", () => {
    withEnv({});
    const spoofed = { "x-forwarded-for": "198.51.100.1", "x-real-ip": "198.51.100.2", "x-vercel-forwarded-for": "198.51.100.3" };
    expect(withPeerAddress("203.0.113.7", () => clientIp(req(spoofed)))).toBe("203.0.113.7");
    expect(withPeerAddress("::ffff:127.0.0.1", () => clientIp(req()))).toBe("127.0.0.1");
    expect(withPeerAddress("2001:db8:1:2::5", () => clientAddressKey(req()))).toBe("2001:db8:1:2::/64");
    // No socket address recorded: unknown, whatever the headers say.
    expect(clientIp(req(spoofed))).toBe("unknown");
    expect(clientAddressKey(req(spoofed))).toBeUndefined();
  });

  it("with TRUSTED_PROXY_HOPS: the entry the nearest trusted proxy wrote, not the socket's", () => {
    withEnv({ TRUSTED_PROXY_HOPS: "1" });
    expect(withPeerAddress("10.0.0.2", () => clientIp(req({ "x-forwarded-for": "198.51.100.1, 203.0.113.7" })))).toBe("203.0.113.7");
    expect(withPeerAddress("10.0.0.2", () => clientIp(req({ "x-forwarded-for": "," })))).toBe("unknown");
    expect(withPeerAddress("10.0.0.2", () => clientIp(req()))).toBe("unknown");
    withEnv({ TRUSTED_PROXY_HOPS: "2" });
    expect(clientIp(req({ "x-forwarded-for": "198.51.100.1, 203.0.113.7, 10.0.0.3" }))).toBe("203.0.113.7");
    expect(clientIp(req({ "x-forwarded-for": "203.0.113.7" }))).toBe("unknown");
  });

  it("with TRUSTED_PROXY=vercel: x-vercel-forwarded-for, else x-real-ip; never X-Forwarded-For", () => {
    withEnv({ TRUSTED_PROXY: "vercel" });
    expect(clientIp(req({ "x-vercel-forwarded-for": "203.0.113.7", "x-real-ip": "203.0.113.8", "x-forwarded-for": "198.51.100.1" }))).toBe("203.0.113.7");
    expect(clientIp(req({ "x-real-ip": "203.0.113.8", "x-forwarded-for": "198.51.100.1" }))).toBe("203.0.113.8");
    expect(clientIp(req({ "x-forwarded-for": "198.51.100.1" }))).toBe("unknown");
    expect(clientIp(req({ "x-vercel-forwarded-for": "garbage" }))).toBe("unknown");
  });

  it("reads a request's address once: later calls answer the same", () => {
    withEnv({});
    const request = req();
    expect(withPeerAddress("203.0.113.7", () => clientIp(request))).toBe("203.0.113.7");
    expect(withPeerAddress("203.0.113.8", () => clientIp(request))).toBe("203.0.113.7");
  });
});
