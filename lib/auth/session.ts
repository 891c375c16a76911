import { createHash, randomBytes } from "node:crypto";
import type { NextResponse } from "next/server";
import { env, type Env } from "@/lib/env";

/**
 * Local-account sessions: a random 32-byte token lives only in the browser's
 * cookie; the store keeps sha256(token), so a leaked database row cannot be
 * replayed as a session.
 */

export const SESSION_COOKIE = "autocrea_session";
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function isWellFormedSessionToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Secure when the app is served over https: APP_URL's scheme when it is set (an operator serving a
 * production build over plain http says so with APP_URL=http://…, since the browser drops a Secure
 * cookie there); unset, a production build assumes https, so the http://localhost default never
 * leaves a real deployment's session cookie insecure. Browsers count localhost as secure either way.
 */
export function sessionCookieSecure(config: Pick<Env, "APP_URL" | "appUrlSet" | "isProduction"> = env()): boolean {
  if (config.appUrlSet) return new URL(config.APP_URL).protocol === "https:";
  return config.isProduction;
}

export function setSessionCookie(response: NextResponse, token: string, expiresAt: number): void {
  response.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: sessionCookieSecure(),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(response: NextResponse): void {
  response.cookies.set(SESSION_COOKIE, "", {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: sessionCookieSecure(),
    expires: new Date(0),
    maxAge: 0,
  });
}

/** One cookie's value from a raw Cookie header. */
export function readCookie(cookieHeader: string | null, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}
