import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { resetEnvForTests } from "@/lib/env";
import { resetRateLimitsForTests } from "@/lib/rate-limit";
import { resetStoreForTests } from "@/lib/store";

export const APP_URL = "http://localhost:3000";

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
] as const;

/**
 * Points the app at a fresh SQLite file under a temp dir with the given env
 * (everything else store/auth related unset). Returns a cleanup function.
 */
export async function useTestApp(extraEnv: Record<string, string> = {}): Promise<() => Promise<void>> {
  const processEnv = process.env as Record<string, string | undefined>;
  const saved = Object.fromEntries(MANAGED_KEYS.map((k) => [k, processEnv[k]]));
  const dir = mkdtempSync(path.join(tmpdir(), "autocrea-auth-"));
  for (const key of MANAGED_KEYS) delete processEnv[key];
  Object.assign(processEnv, { NODE_ENV: "test", APP_URL, DATA_DIR: dir, ...extraEnv });
  resetEnvForTests();
  await resetStoreForTests();
  resetRateLimitsForTests();

  return async () => {
    await resetStoreForTests();
    for (const key of MANAGED_KEYS) {
      if (saved[key] === undefined) delete processEnv[key];
      else processEnv[key] = saved[key];
    }
    resetEnvForTests();
    rmSync(dir, { recursive: true, force: true });
  };
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
