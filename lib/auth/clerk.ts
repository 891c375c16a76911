import { createClerkClient, verifyToken } from "@clerk/backend";
import { env } from "@/lib/env";
import { log } from "@/lib/log";
import type { Store, User } from "@/lib/store/types";

/**
 * Clerk sessions, verified here without a network call: the token's RS256
 * signature against CLERK_JWT_KEY, its expiry, and its `azp` against the
 * authorized parties. The local user row is keyed by the token's `sub`.
 */

export const CLERK_SESSION_COOKIE = "__session";

interface VerifiedClaims {
  sub: string;
  email?: string;
  name?: string;
}

// .env files often carry the PEM on one line with literal "\n".
const pemFromEnv = (value: string) => value.replace(/\\n/g, "\n");

async function verifyClerkToken(token: string): Promise<VerifiedClaims | null> {
  const e = env();
  if (!e.CLERK_JWT_KEY) return null;
  try {
    const payload = await verifyToken(token, {
      jwtKey: pemFromEnv(e.CLERK_JWT_KEY),
      authorizedParties: e.clerkAuthorizedParties,
    });
    const claims = payload as unknown as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
    return { sub: payload.sub, email: text(claims.email)?.toLowerCase(), name: text(claims.name) };
  } catch {
    return null;
  }
}

async function profileFromClerkApi(userId: string): Promise<{ email?: string; name?: string }> {
  const e = env();
  if (!e.CLERK_SECRET_KEY) return {};
  const clerk = createClerkClient({ secretKey: e.CLERK_SECRET_KEY, publishableKey: e.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY });
  const user = await clerk.users.getUser(userId);
  const email = user.primaryEmailAddress?.emailAddress ?? user.emailAddresses[0]?.emailAddress;
  const name = user.fullName ?? user.username ?? undefined;
  return { email: email?.toLowerCase(), name: name ?? undefined };
}

/** The user behind a Clerk session token, created (with trial credits) on first sight; null when the token is not valid. */
export async function userFromClerkToken(store: Store, token: string | undefined): Promise<User | null> {
  if (!token) return null;
  const claims = await verifyClerkToken(token);
  if (!claims) return null;

  if (claims.email) {
    const { user } = await store.ensureUser({ externalId: claims.sub, email: claims.email, name: claims.name });
    return user;
  }

  const known = await store.getUserByExternalId(claims.sub);
  if (known) return known;

  const profile = await profileFromClerkApi(claims.sub);
  if (!profile.email) {
    log.warn({ clerkUserId: claims.sub }, "Clerk user has no email address; cannot create a local user record");
    return null;
  }
  const { user } = await store.ensureUser({ externalId: claims.sub, email: profile.email, name: claims.name ?? profile.name });
  return user;
}
