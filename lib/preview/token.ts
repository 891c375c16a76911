import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/env";

/**
 * Capability tokens in preview URLs. The preview iframe is sandboxed without
 * allow-same-origin, so the browser treats the files it loads (scripts,
 * styles) as cross-site requests and sends no SameSite=Lax session cookie
 * with them. The owner's cookie-authenticated request gets a short-lived
 * token, placed in the URL path so every relative and rebased URL carries it:
 * /preview/<projectId>/<token>/<file>. A token reads one project's preview
 * for one user, nothing else.
 */

export const PREVIEW_TOKEN_TTL_SECONDS = 60 * 60;

const SECRET = Symbol.for("autocrea.previewTokenSecret");

function secret(): Buffer {
  const e = env();
  const configured = e.AUTOCREA_ENCRYPTION_KEY ?? e.AUTOCREA_SERVER_SECRET ?? e.RUNNER_SECRET;
  // A configured secret survives restarts and is shared by every instance; else one per process.
  if (configured) return createHmac("sha256", configured).update("autocrea-preview-token-v1").digest();
  const holder = globalThis as typeof globalThis & { [SECRET]?: Buffer };
  holder[SECRET] ??= randomBytes(32);
  return holder[SECRET];
}

function sign(userId: string, projectId: string, expires: number): string {
  return createHmac("sha256", secret()).update(`${userId}\u0000${projectId}\u0000${expires}`).digest("base64url");
}

export function issuePreviewToken(userId: string, projectId: string, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + PREVIEW_TOKEN_TTL_SECONDS;
  const user = Buffer.from(userId, "utf8").toString("base64url");
  return `${user}.${expires.toString(36)}.${sign(userId, projectId, expires)}`;
}

/** The user the token was issued to, or null when it is malformed, forged, expired or for another project. */
export function verifyPreviewToken(token: string, projectId: string, now = Date.now()): string | null {
  const parts = token.split(".");
  if (parts.length !== 3 || token.length > 512) return null;
  const [user, expiresText, signature] = parts as [string, string, string];
  const expires = parseInt(expiresText, 36);
  if (!Number.isSafeInteger(expires) || expires * 1000 < now) return null;
  const userId = Buffer.from(user, "base64url").toString("utf8");
  const expected = Buffer.from(sign(userId, projectId, expires));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return userId;
}
