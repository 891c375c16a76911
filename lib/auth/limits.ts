import type { LimitEntry, LimitOptions } from "@/lib/rate-limit";

/**
 * Limits of the local-account routes. None of them can be turned against a user by someone
 * else: per-address limits key on the client's address (lib/http/client-ip.ts, never on an
 * unknown one), and sign-in counts only failed attempts, per account *and* address — so wrong
 * passwords sent from elsewhere, however many, never refuse the owner's right password from an
 * address that has not failed.
 */

const MINUTE = 60_000;
const TEN_MINUTES = 10 * MINUTE;

/** Sign-up attempts per client address, all of them, counted before the body is read (enforceIpLimit). */
export const REGISTER_PER_IP: LimitOptions = { max: 20, windowMs: TEN_MINUTES };
/** Sign-up attempts for one email from one client address. */
export const REGISTER_PER_EMAIL_PER_IP: LimitOptions = { max: 5, windowMs: TEN_MINUTES };

/** Failed sign-ins from one client address, whatever the accounts (credential stuffing). */
export const LOGIN_FAILURES_PER_IP: LimitOptions = { max: 30, windowMs: TEN_MINUTES };
/**
 * Failed sign-ins for one account from one client address, in windows that grow: after 5
 * failures within a minute that address waits out the minute, after 10 within 15 minutes the
 * quarter hour, after 20 within 2 hours the 2 hours — about 20 guesses per 2 hours per address.
 */
export const LOGIN_FAILURES_PER_ACCOUNT_AND_IP: readonly LimitOptions[] = [
  { max: 5, windowMs: MINUTE },
  { max: 10, windowMs: 15 * MINUTE },
  { max: 20, windowMs: 120 * MINUTE },
];
/**
 * Failed sign-ins for one account among attempts whose client address is unknown (a proxy set-up
 * that does not match TRUSTED_PROXY / TRUSTED_PROXY_HOPS). It refuses only such attempts: a
 * caller with a known address, the owner included, is never counted in it nor refused by it.
 */
export const LOGIN_FAILURES_PER_ACCOUNT_UNKNOWN_IP: LimitOptions = { max: 10, windowMs: TEN_MINUTES };

/**
 * What one sign-in attempt for `email` from `address` (a clientAddressKey; undefined when
 * unknown) counts against, for reserveLimits: counted up front, given back unless the password
 * turns out wrong.
 */
export function loginFailureLimits(email: string, address: string | undefined): LimitEntry[] {
  if (address === undefined) {
    return [
      {
        key: `login:failed:unknown-ip:email:${email}`,
        options: LOGIN_FAILURES_PER_ACCOUNT_UNKNOWN_IP,
        message: "Too many failed sign-ins for this account.",
      },
    ];
  }
  return [
    { key: `login:failed:ip:${address}`, options: LOGIN_FAILURES_PER_IP, message: "Too many failed sign-ins from your network." },
    ...LOGIN_FAILURES_PER_ACCOUNT_AND_IP.map((options) => ({
      key: `login:failed:${options.windowMs / MINUTE}m:email:${email}:ip:${address}`,
      options,
      message: "Too many failed sign-ins for this account from your network.",
    })),
  ];
}
