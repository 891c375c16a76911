import { log } from "@/lib/log";
import { isIP } from "node:net";
import { env, type ClientAddressSource } from "@/lib/env";
import { peerAddress } from "@/lib/http/peer-address";

/**
 * The client's address, read where the configured trust model says (env().clientAddress,
 * from TRUSTED_PROXY_HOPS / TRUSTED_PROXY):
 *
 * - no proxy trusted (default): the socket's peer address (lib/http/peer-address.ts). Whatever
 *   the client writes in X-Forwarded-For is ignored.
 * - TRUSTED_PROXY_HOPS=n: the n-th X-Forwarded-For entry from the right — the address the
 *   nearest of the n trusted proxies saw (each appends its peer). Entries further left were
 *   written by the client or by proxies it chose.
 * - TRUSTED_PROXY=vercel: x-vercel-forwarded-for, else x-real-ip, which Vercel's edge writes.
 *
 * Anything that is not an IPv4 or IPv6 address is "unknown", and per-address limits never key
 * on "unknown" (lib/rate-limit.ts): those callers would all share one counter.
 */

export const UNKNOWN_IP = "unknown";

const cache = new WeakMap<Request, string>();
const warned = new Set<string>();

/** The client's IP address (IPv4 dotted, IPv6 canonical and lower-case, mapped IPv4 as IPv4), or "unknown". */
export function clientIp(request: Request): string {
  let ip = cache.get(request);
  if (ip === undefined) {
    const source = env().clientAddress;
    ip = addressFrom(source, request) ?? UNKNOWN_IP;
    cache.set(request, ip);
    warnAboutSetup(source, request, ip);
  }
  return ip;
}

/**
 * The part of a rate-limit key naming the client's address: the address itself for IPv4, its
 * /64 network for IPv6 (one subscriber's allocation — a single host can take any address in
 * it); undefined when the address is unknown.
 */
export function clientAddressKey(request: Request): string | undefined {
  const ip = clientIp(request);
  return ip === UNKNOWN_IP ? undefined : addressKey(ip);
}

function addressFrom(source: ClientAddressSource, request: Request): string | undefined {
  switch (source.from) {
    case "socket":
      return parseIpAddress(peerAddress());
    case "forwarded-for":
      return forwardedForEntry(request.headers.get("x-forwarded-for"), source.hops);
    case "vercel": {
      const vercel = request.headers.get("x-vercel-forwarded-for");
      if (vercel !== null) return parseIpAddress(vercel.split(",")[0]);
      return parseIpAddress(request.headers.get("x-real-ip"));
    }
  }
}

/**
 * The `hops`-th entry from the right of an X-Forwarded-For value (several headers arrive joined
 * with commas, in order), as an address; undefined when the header is shorter or that entry is
 * not an address. Empty entries count as entries, so `,` cannot shift the position.
 */
export function forwardedForEntry(header: string | null | undefined, hops: number): string | undefined {
  if (!header || hops < 1) return undefined;
  const entries = header.split(",");
  if (hops > entries.length) return undefined;
  return parseIpAddress(entries[entries.length - hops]);
}

const MAX_ADDRESS_TEXT = 64;

/**
 * One address as written by a socket or a proxy: IPv4 (`a.b.c.d`, optionally `:port`) or IPv6
 * (optionally in brackets with `:port`, optionally with a `%zone`). Returns it normalised —
 * IPv6 in its canonical compressed lower-case form, an IPv4-mapped IPv6 address as the IPv4
 * address — or undefined for anything else.
 */
export function parseIpAddress(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  let text = raw.trim();
  if (!text || text.length > MAX_ADDRESS_TEXT) return undefined;

  // Brackets hold an IPv6 address only (then a port may follow); an IPv4 address may carry a port.
  const bracketed = /^\[([^\]]*:[^\]]*)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) text = bracketed[1];
  else {
    const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
    if (v4WithPort) text = v4WithPort[1];
  }

  const zone = text.indexOf("%");
  if (zone !== -1 && text.includes(":")) text = text.slice(0, zone);

  switch (isIP(text)) {
    case 4:
      return text;
    case 6:
      return canonicalIpv6(text);
    default:
      return undefined;
  }
}

function canonicalIpv6(address: string): string | undefined {
  let canonical: string;
  try {
    // WHATWG URL serialises IPv6 hosts per RFC 5952: compressed, lower-case, hex pieces only.
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const high = parseInt(mapped[1], 16);
    const low = parseInt(mapped[2], 16);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return canonical;
}

/** The eight 16-bit groups of a canonical IPv6 address, without leading zeros. */
function ipv6Groups(canonical: string): string[] {
  const [head, tail] = canonical.split("::");
  const left = head ? head.split(":") : [];
  if (tail === undefined) return left;
  const right = tail ? tail.split(":") : [];
  return [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
}

/** A normalised address (parseIpAddress) as a rate-limit key part: IPv4 as it is, IPv6 as its /64. */
export function addressKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  return `${ipv6Groups(ip).slice(0, 4).join(":")}::/64`;
}

function isPrivateOrLoopback(ip: string): boolean {
  if (!ip.includes(":")) {
    const [a, b] = ip.split(".").map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  const first = parseInt(ipv6Groups(ip)[0], 16);
  return ip === "::1" || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** Once per process, say when the setting probably does not match how requests arrive. */
function warnAboutSetup(source: ClientAddressSource, request: Request, ip: string): void {
  if (env().NODE_ENV === "test") return;
  const once = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    log.warn(message);
  };
  if (ip === UNKNOWN_IP) {
    once(
      "unknown",
      source.from === "socket"
        ? "a request's client address is unknown (no socket address was recorded for it); per-address rate limits do not apply to such requests."
        : `a request's client address is unknown (${source.from === "vercel" ? "no Vercel client-address header" : `no address in X-Forwarded-For at position ${source.hops} from the right`}); per-address rate limits do not apply to such requests. Check TRUSTED_PROXY / TRUSTED_PROXY_HOPS.`,
    );
    return;
  }
  if (source.from === "socket" && isPrivateOrLoopback(ip)) {
    const forwarded = parseIpAddress(request.headers.get("x-forwarded-for")?.split(",")[0]);
    if (forwarded && forwarded !== ip) {
      once(
        "proxy",
        `requests arrive from ${ip} with X-Forwarded-For set: if a reverse proxy is in front of the app, set TRUSTED_PROXY_HOPS (README, "Client addresses"); until then every client behind it shares one address for rate limits.`,
      );
    }
  }
}
