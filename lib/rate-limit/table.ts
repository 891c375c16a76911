/**
 * Every rate limit of the app, in one table: who is counted (`per`), the key's scope, how many
 * attempts a window allows, and the 429's sentence. Routes name a rule (`enforceUserLimit(RATE_LIMITS.ai, …)`);
 * docs/data-model.md lists the keys, and a test holds that list to this table.
 *
 * - `user`: key `<scope>:<userId>`.
 * - `ip`: key `<scope>:ip:<address>` (lib/http/client-ip.ts; never counted when the address is unknown).
 * - `custom`: the key is built where the rule is used (sign-in and sign-up, lib/auth/limits.ts); `key` documents it.
 */

const MINUTE = 60_000;
const TEN_MINUTES = 10 * MINUTE;

export interface RateLimitRule {
  per: "user" | "ip" | "custom";
  scope: string;
  max: number;
  windowMs: number;
  message: string;
  /** For `custom` rules: the key's shape, as docs/data-model.md lists it. */
  key?: string;
}

const rule = (per: RateLimitRule["per"], scope: string, max: number, windowMs: number, message: string, key?: string): RateLimitRule => ({
  per,
  scope,
  max,
  windowMs,
  message,
  ...(key ? { key } : {}),
});

export const RATE_LIMITS = {
  // Local accounts (lib/auth/limits.ts builds their keys). Sign-in counts failures only.
  register: rule("ip", "register", 20, TEN_MINUTES, "Too many sign-up attempts."),
  registerEmail: rule("custom", "register:email", 5, TEN_MINUTES, "Too many sign-up attempts.", "register:email:<email>:ip:<address>"),
  registerTaken: rule("custom", "register:taken", 5, 60 * MINUTE, "Too many sign-up attempts.", "register:taken:ip:<address>"),
  loginFailuresPerIp: rule("custom", "login:failed:ip", 30, TEN_MINUTES, "Too many failed sign-ins from your network.", "login:failed:ip:<address>"),
  loginFailures1m: rule("custom", "login:failed:1m", 5, MINUTE, "Too many failed sign-ins for this account from your network.", "login:failed:1m:email:<email>:ip:<address>"),
  loginFailures15m: rule("custom", "login:failed:15m", 10, 15 * MINUTE, "Too many failed sign-ins for this account from your network.", "login:failed:15m:email:<email>:ip:<address>"),
  loginFailures120m: rule("custom", "login:failed:120m", 20, 120 * MINUTE, "Too many failed sign-ins for this account from your network.", "login:failed:120m:email:<email>:ip:<address>"),
  loginFailuresUnknownIp: rule("custom", "login:failed:unknown-ip", 10, TEN_MINUTES, "Too many failed sign-ins for this account.", "login:failed:unknown-ip:email:<email>"),

  // Model work.
  ai: rule("user", "ai", 30, MINUTE, "Too many AI requests."),
  aiPerIp: rule("ip", "ai", 60, MINUTE, "Too many AI requests from your network."),
  runStarts: rule("user", "generate", 10, MINUTE, "Too many generations and changes started."),
  runStartsPerIp: rule("ip", "generate", 20, MINUTE, "Too many generations and changes started from your network."),
  estimates: rule("user", "estimate", 120, MINUTE, "Too many estimates requested."),

  // Execution in the sandbox.
  terminalOpen: rule("user", "terminal:open", 60, TEN_MINUTES, "Too many terminal connections; wait a moment."),
  terminalOpenPerIp: rule("ip", "terminal:open", 300, TEN_MINUTES, "Too many terminal connections; wait a moment."),
  terminalSync: rule("user", "terminal:sync", 200, TEN_MINUTES, "Too many file syncs; wait a moment."),
  previewBuild: rule("user", "preview:build", 20, TEN_MINUTES, "Too many builds; wait a moment."),
  previewBuildPerIp: rule("ip", "preview:build", 300, TEN_MINUTES, "Too many builds; wait a moment."),
  appStart: rule("user", "app:start", 30, TEN_MINUTES, "Too many app starts; wait a moment."),
  appStartPerIp: rule("ip", "app:start", 300, TEN_MINUTES, "Too many app starts; wait a moment."),

  // Keys, endpoints, billing, deployments, Git.
  keys: rule("user", "keys", 20, MINUTE, "Too many key changes."),
  keyTests: rule("user", "keys-test", 10, MINUTE, "Too many key tests."),
  // Users' own AI endpoints: adding, refreshing and testing one calls it.
  endpoints: rule("user", "endpoints", 20, MINUTE, "Too many AI endpoint changes."),
  endpointTests: rule("user", "endpoints-test", 10, MINUTE, "Too many AI endpoint tests."),
  checkout: rule("user", "billing:checkout", 10, MINUTE, "Too many checkout attempts."),
  checkoutPerIp: rule("ip", "billing:checkout", 30, MINUTE, "Too many checkout attempts."),
  billingPortal: rule("user", "billing:portal", 10, MINUTE, "Too many attempts."),
  deploy: rule("user", "deploy", 10, TEN_MINUTES, "Too many deployments."),
  gitPush: rule("user", "git-push", 20, TEN_MINUTES, "Too many pushes."),
} as const satisfies Record<string, RateLimitRule>;

/** The key each rule counts on, as docs/data-model.md writes it. */
export function documentedKey(r: RateLimitRule): string {
  if (r.per === "user") return `${r.scope}:<userId>`;
  if (r.per === "ip") return `${r.scope}:ip:<address>`;
  return r.key!;
}
