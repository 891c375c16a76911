import { cookies, headers } from "next/headers";
import { env } from "@/lib/env";
import { csrfRejected, isSameOriginRequest } from "@/lib/http/csrf";
import { unauthorized } from "@/lib/http/errors";
import { annotateLogContext } from "@/lib/log";
import { getStore } from "@/lib/store";
import type { User } from "@/lib/store/types";
import { CLERK_SESSION_COOKIE, userFromClerkToken } from "./clerk";
import { userFromSessionToken } from "./local";
import { readCookie, SESSION_COOKIE } from "./session";

export type { User } from "@/lib/store/types";
export { toPublicUser, type PublicUser } from "./public-user";

export type AuthMode = "clerk" | "local";

export function authMode(): AuthMode {
  return env().authMode;
}

interface Credential {
  token: string;
  fromCookie: boolean;
}

function bearerToken(authorization: string | null): string | undefined {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

function pickCredential(mode: AuthMode, authorization: string | null, cookie: (name: string) => string | undefined): Credential | null {
  if (mode === "clerk") {
    const bearer = bearerToken(authorization);
    if (bearer) return { token: bearer, fromCookie: false };
  }
  const cookieToken = cookie(mode === "clerk" ? CLERK_SESSION_COOKIE : SESSION_COOKIE);
  return cookieToken ? { token: cookieToken, fromCookie: true } : null;
}

async function credentialFrom(mode: AuthMode, request?: Request): Promise<Credential | null> {
  if (request) {
    const cookieHeader = request.headers.get("cookie");
    return pickCredential(mode, request.headers.get("authorization"), (name) => readCookie(cookieHeader, name));
  }
  const [headerList, cookieStore] = await Promise.all([headers(), cookies()]);
  return pickCredential(mode, headerList.get("authorization"), (name) => cookieStore.get(name)?.value);
}

/**
 * The signed-in user, or null. With a Request (route handlers) credentials
 * come from its headers; without one (server components) from next/headers.
 * A cookie-authenticated state-changing request from another origin is
 * refused with a 403 before the session is even looked up.
 */
export async function getUser(request?: Request): Promise<User | null> {
  const mode = authMode();
  const credential = await credentialFrom(mode, request);
  if (!credential) return null;
  if (request && credential.fromCookie && !isSameOriginRequest(request)) throw csrfRejected();
  const store = await getStore();
  const user =
    mode === "clerk" ? await userFromClerkToken(store, credential.token) : await userFromSessionToken(store, credential.token);
  // A deleted account (Clerk user.deleted) signs nobody in, whatever credential it still has.
  if (!user || user.deletedAt) return null;
  annotateLogContext({ userId: user.id });
  return user;
}

/** Like getUser, but throws a 401 HttpError when nobody is signed in. */
export async function requireUser(request?: Request): Promise<User> {
  const user = await getUser(request);
  if (!user) throw unauthorized();
  return user;
}
