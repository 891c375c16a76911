import dns from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { Agent, fetch as undiciFetch } from "undici";
import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";

/**
 * The one way the server calls a URL a user gave it (their own OpenAI-compatible endpoint). The
 * server's network must stay out of reach (SSRF): only public addresses are called, unless the
 * operator allows more with AI_ENDPOINT_ALLOWED_PRIVATE (lib/env.ts). A host name is checked on the
 * addresses it resolves to when the connection is made, so a name that later resolves elsewhere
 * (DNS rebinding) is caught on the address actually connected to. Redirects are never followed.
 */

export class OutboundRefusedError extends HttpError {
  constructor(message: string) {
    super(400, "endpoint_refused", message);
    this.name = "OutboundRefusedError";
  }
}

export const MAX_ENDPOINT_URL_LENGTH = 2048;

/**
 * Which addresses are called although they are not public, in AI_ENDPOINT_ALLOWED_PRIVATE's
 * syntax: "" allows none; `*` allows every address; otherwise comma-separated host names (allowed
 * whatever they resolve to), IP addresses and CIDR ranges, e.g. `127.0.0.1,10.0.0.0/8,gateway.internal`.
 */
export type AllowanceSpec = string;

export interface Allowance {
  any: boolean;
  hosts: ReadonlySet<string>;
  ranges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
}

export interface GuardOptions {
  /** Default: AI_ENDPOINT_ALLOWED_PRIVATE, read once. */
  allowed?: AllowanceSpec;
}

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** Throws an Error naming the entry that is neither a host name, an IP address nor a CIDR range. */
export function parseAllowance(spec: AllowanceSpec | undefined): Allowance {
  const entries = (spec ?? "")
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  const hosts = new Set<string>();
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const entry of entries) {
    if (entry === "*") continue;
    const bare = entry.replace(/^\[(.*)\]$/, "$1");
    if (ipaddr.isValidCIDR(bare)) ranges.push(normalizedRange(ipaddr.parseCIDR(bare)));
    else if (ipaddr.isValid(bare)) ranges.push(normalizedRange([ipaddr.parse(bare), bare.includes(":") ? 128 : 32]));
    else if (HOST_NAME.test(hostKey(entry))) hosts.add(hostKey(entry));
    else throw new Error(`AI_ENDPOINT_ALLOWED_PRIVATE: "${entry}" is not a host name, an IP address or a CIDR range.`);
  }
  return { any: entries.includes("*"), hosts, ranges };
}

/** An IPv4-mapped IPv6 entry (::ffff:10.0.0.0/104) stands for its IPv4 range. */
function normalizedRange([ip, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number]): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96
    ? [(ip as ipaddr.IPv6).toIPv4Address(), bits - 96]
    : [ip, bits];
}

const hostKey = (host: string) => host.toLowerCase().replace(/\.$/, "");

const RANGE_WORDS: Record<string, string> = {
  loopback: "a loopback address",
  private: "a private-network address",
  linkLocal: "a link-local address",
  carrierGradeNat: "a carrier-grade NAT address",
  uniqueLocal: "a unique-local (private) address",
  unspecified: "the unspecified address",
  broadcast: "the broadcast address",
  multicast: "a multicast address",
};

const NAT64 = ipaddr.parseCIDR("64:ff9b::/96");
const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");

/**
 * Why `address` is not public — words to follow "is" ("a loopback address") — or undefined for a
 * public address: an IPv4 address in no special range, or an IPv6 one inside 2000::/3 in none.
 */
export function addressRefusal(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return "not an IP address";
  const ip = ipaddr.parse(address);
  const range = ip.range();
  if (ip.kind() === "ipv4") return range === "unicast" ? undefined : (RANGE_WORDS[range] ?? "a reserved or special-purpose address");
  // IPv6 forms that carry an IPv4 address in their last 32 bits reach that IPv4 address: judge it.
  if (range === "ipv4Mapped" || range === "rfc6145" || ip.match(NAT64)) {
    const ipv4 = ipaddr.fromByteArray(ip.toByteArray().slice(12)).toString();
    const why = addressRefusal(ipv4);
    return why && `an IPv6 form of ${ipv4}, ${why}`;
  }
  // 6to4 and Teredo (deprecated tunnels) land here too: refused whatever they embed.
  if (range !== "unicast") return RANGE_WORDS[range] ?? "a reserved or special-purpose address";
  return ip.match(GLOBAL_UNICAST) ? undefined : "an address outside the global unicast range (2000::/3)";
}

function allowanceCovers(allowance: Allowance, address: string, host?: string): boolean {
  if (allowance.any || (host !== undefined && allowance.hosts.has(hostKey(host)))) return true;
  const ip = ipaddr.process(address);
  return allowance.ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
}

/** Throws unless `address` is public or allowed; `host` is the name it was resolved from, if any. */
function checkAddress(address: string, allowance: Allowance, host?: string): void {
  const why = addressRefusal(address);
  if (why === undefined || allowanceCovers(allowance, address, host)) return;
  // For a name, the class only: the address would tell a user what the server's DNS knows.
  const subject = host === undefined ? `The endpoint address ${address} is ${why}` : `The endpoint host ${host} resolves to ${why.replace(/^.*, /, "")}`;
  throw new OutboundRefusedError(`${subject}; this server only calls endpoints on the public internet.`);
}

/** http(s), no credentials, a host; an IP-literal host is checked here (Node connects to it without a lookup). */
function checkTarget(url: URL, allowance: Allowance): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundRefusedError("The endpoint URL must start with http:// or https://.");
  }
  if (url.username || url.password) {
    throw new OutboundRefusedError("The endpoint URL must not contain a user name or password; give the key separately.");
  }
  if (!url.hostname) throw new OutboundRefusedError("The endpoint URL has no host name.");
  const literal = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(literal)) checkAddress(literal, allowance);
}

let envAllowance: Allowance | undefined;

function allowanceFrom(options: GuardOptions): Allowance {
  if (options.allowed !== undefined) return parseAllowance(options.allowed);
  envAllowance ??= parseAllowance(env().AI_ENDPOINT_ALLOWED_PRIVATE);
  return envAllowance;
}

function parseUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new OutboundRefusedError("The endpoint URL is not a valid URL; give one like https://api.example.com/v1.");
  }
}

/**
 * A user-supplied base URL, checked and normalized: http(s), a host, no credentials, no query or
 * fragment, at most 2048 characters, no trailing slash on the path (the root's "/" stays: a URL
 * always has it). An IP-literal host must be public or allowed; a host name is judged when called.
 */
export function checkEndpointUrl(raw: string, options: GuardOptions = {}): URL {
  if (raw.length > MAX_ENDPOINT_URL_LENGTH) {
    throw new OutboundRefusedError(`The endpoint URL is longer than ${MAX_ENDPOINT_URL_LENGTH} characters.`);
  }
  const url = parseUrl(raw.trim());
  checkTarget(url, allowanceFrom(options));
  if (url.search || url.hash) {
    throw new OutboundRefusedError("The endpoint URL must not contain a query (?…) or a fragment (#…); give the base URL only.");
  }
  url.search = "";
  url.hash = "";
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

/** Resolves every address of the name and refuses the connection if any one of them is refused. */
function guardedLookup(allowance: Allowance): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "");
      try {
        for (const { address } of addresses) checkAddress(address, allowance, hostname);
      } catch (refusal) {
        return callback(refusal as NodeJS.ErrnoException, "");
      }
      if (options.all) callback(null, addresses);
      else if (addresses[0]) callback(null, addresses[0].address, addresses[0].family);
      else callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "");
    });
  };
}

/** As PROVIDER_KEEP_ALIVE_MS (lib/ai/providers.ts), for the same reason: we close idle connections first. */
const KEEP_ALIVE_MS = 1_000;

type UndiciInit = NonNullable<Parameters<typeof undiciFetch>[1]>;

/** undici's fetch takes only its own Request class: a Request becomes its URL and an init. */
function splitInput(input: string | URL | Request, init: RequestInit | undefined): [string, UndiciInit] {
  const given = (init ?? {}) as UndiciInit;
  if (typeof input === "string" || input instanceof URL) return [String(input), given];
  const { url, method, headers, body, signal } = input;
  return [url, { method, headers: [...headers], body, signal, duplex: "half", ...given } as UndiciInit];
}

/** The refusal inside undici's "fetch failed" TypeError (raised by our lookup), if that is what it is. */
function refusalIn(err: unknown): OutboundRefusedError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof OutboundRefusedError) return e;
  }
  return undefined;
}

/**
 * A `fetch` (usable as the AI SDK providers' `fetch` option) that calls only public or allowed
 * addresses and never follows a redirect; a refusal rejects with OutboundRefusedError (400).
 */
export function createGuardedFetch(options: GuardOptions = {}): typeof globalThis.fetch {
  const allowance = allowanceFrom(options);
  const dispatcher = new Agent({
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MS,
    connect: { lookup: guardedLookup(allowance) },
  });
  const guarded = async (input: string | URL | Request, init?: RequestInit) => {
    const [url, requestInit] = splitInput(input, init);
    checkTarget(parseUrl(url), allowance);
    let response;
    try {
      response = await undiciFetch(url, { ...requestInit, redirect: "manual", dispatcher });
    } catch (err) {
      throw refusalIn(err) ?? err;
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new OutboundRefusedError("The endpoint answered with a redirect; give its final address.");
    }
    return response;
  };
  return guarded as unknown as typeof globalThis.fetch;
}

let defaultFetch: typeof globalThis.fetch | undefined;

/** `createGuardedFetch()` with the operator's AI_ENDPOINT_ALLOWED_PRIVATE, made on first use. */
export const guardedFetch = ((input: string | URL | Request, init?: RequestInit) =>
  (defaultFetch ??= createGuardedFetch())(input, init)) as typeof globalThis.fetch;
