import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { SESSION_COOKIE } from "@/lib/auth/session";
import { resetEnvForTests } from "@/lib/env";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { resetStoreForTests } from "@/lib/store";

/**
 * The app as the integration tests see it: a fresh SQLite store in a temp
 * dir, a clean env, local accounts signed up through the real register
 * route handler, and Requests built the way a browser would send them.
 */

export const APP_URL = "http://localhost:3000";

/** Env vars every test app starts without (unless given), and gets back afterwards. */
const MANAGED_KEYS = [
  "NODE_ENV",
  "APP_URL",
  "DATA_DIR",
  "CONVEX_URL",
  "AUTOCREA_SERVER_SECRET",
  "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
  "CLERK_SECRET_KEY",
  "CLERK_JWT_KEY",
  "CLERK_AUTHORIZED_PARTIES",
  "STRIPE_SECRET_KEY",
  "TRUSTED_PROXY_HOPS",
  "TRUSTED_PROXY",
  "VERCEL",
] as const;

/**
 * Points the app at a fresh SQLite file under a temp dir with the given env
 * (everything else store/auth related unset), with env, store and rate limits
 * reset. Returns a cleanup function that closes the store, restores every
 * managed and given env var and removes the temp dir.
 */
export async function openTestApp(extraEnv: Record<string, string> = {}): Promise<() => Promise<void>> {
  const processEnv = process.env as Record<string, string | undefined>;
  const keys = [...new Set<string>([...MANAGED_KEYS, ...Object.keys(extraEnv)])];
  const saved = Object.fromEntries(keys.map((k) => [k, processEnv[k]]));
  const dir = mkdtempSync(path.join(tmpdir(), "autocrea-test-"));
  for (const key of MANAGED_KEYS) delete processEnv[key];
  Object.assign(processEnv, { NODE_ENV: "test", APP_URL, DATA_DIR: dir, ...extraEnv });
  resetEnvForTests();
  await resetStoreForTests();
  resetRateLimitsForTests();

  return async () => {
    await resetStoreForTests();
    for (const key of keys) {
      if (saved[key] === undefined) delete processEnv[key];
      else processEnv[key] = saved[key];
    }
    resetEnvForTests();
    rmSync(dir, { recursive: true, force: true });
  };
}

export interface TestAppHandle {
  /** The current app's temp dir (DATA_DIR). */
  readonly dataDir: string;
  /** Closes the current app and opens a fresh one with `extraEnv` instead; the hooks still clean it up. */
  reopen(extraEnv?: Record<string, string>): Promise<void>;
}

/**
 * `openTestApp` as vitest hooks in the calling file or describe block: opened
 * in beforeAll and cleaned up in afterAll, with rate limits reset before each
 * test — or, with `perTest`, a fresh app for every test (beforeEach/afterEach).
 */
export function withTestApp(extraEnv: Record<string, string> = {}, { perTest = false }: { perTest?: boolean } = {}): TestAppHandle {
  let cleanup: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  const open = async (env: Record<string, string>) => {
    cleanup = await openTestApp(env);
    dataDir = process.env.DATA_DIR;
  };
  const close = async () => {
    await cleanup?.();
    cleanup = undefined;
    dataDir = undefined;
  };
  if (perTest) {
    beforeEach(() => open(extraEnv));
    afterEach(close);
  } else {
    beforeAll(() => open(extraEnv));
    afterAll(close);
    beforeEach(() => resetRateLimitsForTests());
  }
  return {
    get dataDir() {
      if (!dataDir) throw new Error("the test app is not open");
      return dataDir;
    },
    async reopen(env = {}) {
      await close();
      await open(env);
    },
  };
}

/** Env for Clerk mode, verifying session tokens with the given public key (PEM), plus `extra`. */
export function clerkEnv(jwtPublicKeyPem: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
    CLERK_SECRET_KEY: "sk_test_not_used_in_these_tests",
    CLERK_JWT_KEY: jwtPublicKeyPem,
    ...extra,
  };
}

export interface SignUpOptions {
  name?: string;
  email?: string;
  password?: string;
  /** Extra request headers (e.g. x-forwarded-for). */
  headers?: Record<string, string>;
}

export interface SignedUp {
  /** `name=value` of the session cookie, for the next request's Cookie header. */
  cookie: string;
  user: { id: string; email: string; name: string };
  userId: string;
}

let signUps = 0;

/** Registers a fresh local account through the real register handler (expecting 201). */
export async function signUp(options: SignUpOptions = {}): Promise<SignedUp> {
  const { POST: register } = await import("@/app/api/auth/register/route");
  signUps += 1;
  const response = await register(
    jsonPost(
      "/api/auth/register",
      {
        name: options.name ?? `User ${signUps}`,
        email: options.email ?? `user-${signUps}-${randomBytes(4).toString("hex")}@example.com`,
        password: options.password ?? "correct horse battery",
      },
      options.headers,
    ),
    undefined,
  );
  expect(response.status).toBe(201);
  const { user } = (await response.json()) as { user: SignedUp["user"] };
  return { cookie: cookieFrom(response, SESSION_COOKIE), user, userId: user.id };
}

export interface RequestOptions {
  /** JSON-encoded unless already a string; sets content-type when present. */
  body?: unknown;
  /** The Cookie header; none when empty. */
  cookie?: string;
  /** The Origin header; APP_URL unless given, none when null. */
  origin?: string | null;
  headers?: Record<string, string>;
}

/** A browser-like same-origin request to the app. */
export function request(method: string, url: string, { body, cookie, origin = APP_URL, headers = {} }: RequestOptions = {}): Request {
  return new Request(new URL(url, APP_URL), {
    method,
    headers: {
      ...(origin === null ? {} : { origin }),
      ...(cookie ? { cookie } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A signed-in request: `request` with the given Cookie header. */
export function authed(method: string, url: string, cookie: string, body?: unknown, headers: Record<string, string> = {}): Request {
  return request(method, url, { body, cookie, headers });
}

export function jsonPost(url: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(new URL(url, APP_URL), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function get(url: string, headers: Record<string, string> = {}): Request {
  return new Request(new URL(url, APP_URL), { headers });
}

/** `name=value` of the session cookie a response sets, for the next request's Cookie header. */
export function cookieFrom(response: Response, name: string): string {
  const header = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!header) throw new Error(`response did not set ${name}`);
  return header.split(";")[0];
}
