import { RATE_LIMITS, type LimitEntry, type RateLimitRule } from "@/lib/rate-limit";

/**
 * The keys of the local-account routes' limits (their values are in the one table,
 * lib/rate-limit/table.ts). None of them can be turned against a user by someone else:
 * per-address limits key on the client's address (lib/http/client-ip.ts, never on an unknown
 * one), and sign-in counts only failed attempts, per account *and* address — so wrong passwords
 * sent from elsewhere, however many, never refuse the owner's right password from an address that
 * has not failed.
 */

/**
 * Failed sign-ins for one account from one client address, in windows that grow: after 5
 * failures within a minute that address waits out the minute, after 10 within 15 minutes the
 * quarter hour, after 20 within 2 hours the 2 hours — about 20 guesses per 2 hours per address.
 */
export const LOGIN_FAILURES_PER_ACCOUNT_AND_IP: readonly RateLimitRule[] = [
  RATE_LIMITS.loginFailures1m,
  RATE_LIMITS.loginFailures15m,
  RATE_LIMITS.loginFailures120m,
];

const entry = (rule: RateLimitRule, key: string): LimitEntry => ({ key, options: rule, message: rule.message });

/**
 * What one sign-in attempt for `email` from `address` (a clientAddressKey; undefined when
 * unknown) counts against, for reserveLimits: counted up front, given back unless the password
 * turns out wrong. Failures whose address is unknown (a proxy set-up that does not match
 * TRUSTED_PROXY / TRUSTED_PROXY_HOPS) count per account among such attempts only: a caller with a
 * known address, the owner included, is never counted in it nor refused by it.
 */
export function loginFailureLimits(email: string, address: string | undefined): LimitEntry[] {
  if (address === undefined) {
    return [entry(RATE_LIMITS.loginFailuresUnknownIp, `${RATE_LIMITS.loginFailuresUnknownIp.scope}:email:${email}`)];
  }
  return [
    entry(RATE_LIMITS.loginFailuresPerIp, `${RATE_LIMITS.loginFailuresPerIp.scope}:${address}`),
    ...LOGIN_FAILURES_PER_ACCOUNT_AND_IP.map((rule) => entry(rule, `${rule.scope}:email:${email}:ip:${address}`)),
  ];
}

/**
 * Sign-up answers "this email already has an account" (there is no mail channel to confirm an
 * address with, so sign-up cannot hide it). Those answers are what an attacker enumerating emails
 * collects, so they are limited like failed sign-ins: 5 an hour per address, counted up front and
 * given back when the email turns out to be free. Unknown addresses count nothing here (the
 * per-address sign-up rule still applies to known ones).
 */
export function registerTakenLimits(address: string | undefined): LimitEntry[] {
  if (address === undefined) return [];
  return [entry(RATE_LIMITS.registerTaken, `${RATE_LIMITS.registerTaken.scope}:ip:${address}`)];
}
