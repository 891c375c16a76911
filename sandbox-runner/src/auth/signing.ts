import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The one definition of how the app and the runner authenticate each other
 * (docs/architecture.md#trust-boundaries). The runner verifies with it; the app's lib/sandbox signs
 * with it (imported by relative path), so the two sides cannot drift apart.
 * Keep this file free of imports other than node:crypto.
 *
 * Request signature:
 *   X-Runner-Timestamp: unix seconds
 *   X-Runner-Nonce: 32 random hex digits, fresh per request
 *   X-Runner-Signature: hex HMAC-SHA256(secret, `${timestamp}.${nonce}.${METHOD}.${pathWithQuery}.${hex sha256(body)}`)
 * The runner accepts each signature once. The nonce is what lets the app send
 * the same request twice in one second (two identical commands, say) without
 * the second looking like a replay.
 *
 * PTY ticket (for the browser's WebSocket, one session, one user):
 *   base64url(JSON {sessionId, userId, exp, nonce}) + "." + base64url(HMAC-SHA256(secret, "pty-ticket." + payloadPart))
 * The runner accepts each ticket once; the nonce makes two tickets issued in the same second differ.
 * The "pty-ticket." prefix keeps a ticket MAC from ever equalling a request
 * signature (those messages start with digits).
 */

export const TIMESTAMP_HEADER = "x-runner-timestamp";
export const NONCE_HEADER = "x-runner-nonce";
export const SIGNATURE_HEADER = "x-runner-signature";
/** How far a request's timestamp may be from the runner's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 60;
export const TICKET_TTL_SECONDS = 60;

export type Body = string | Uint8Array | undefined;

export function sha256Hex(body: Body): string {
  return createHash("sha256")
    .update(body ?? "")
    .digest("hex");
}

export function signatureMessage(
  timestamp: string,
  nonce: string,
  method: string,
  pathWithQuery: string,
  bodyHash: string,
): string {
  return `${timestamp}.${nonce}.${method.toUpperCase()}.${pathWithQuery}.${bodyHash}`;
}

export interface SignInput {
  secret: string;
  method: string;
  /** Path plus query string exactly as sent, e.g. "/v1/sessions/abc/files?x=1". */
  pathWithQuery: string;
  body?: Body;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Defaults to a fresh random one. */
  nonce?: string;
}

/** Headers that authenticate one request to the runner. */
export function signRequest(input: SignInput): Record<string, string> {
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = input.nonce ?? randomBytes(16).toString("hex");
  const message = signatureMessage(timestamp, nonce, input.method, input.pathWithQuery, sha256Hex(input.body));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: createHmac("sha256", input.secret).update(message).digest("hex"),
  };
}

export type VerifyFailure = "missing" | "malformed" | "stale" | "bad_signature";
export type VerifyResult = { ok: true; signature: string; timestamp: number } | { ok: false; reason: VerifyFailure };

export interface VerifyInput {
  secret: string;
  method: string;
  pathWithQuery: string;
  /** Hex sha256 of the raw body, computed while it was read. */
  bodyHash: string;
  timestampHeader: string | undefined;
  nonceHeader: string | undefined;
  signatureHeader: string | undefined;
  /** Unix seconds; defaults to now. */
  now?: number;
}

/**
 * Checks the timestamp window and the HMAC in constant time. Replay
 * detection (a signature seen before) is the caller's job: it needs state.
 */
export function verifyRequestSignature(input: VerifyInput): VerifyResult {
  const { timestampHeader, nonceHeader, signatureHeader } = input;
  if (!timestampHeader || !nonceHeader || !signatureHeader) return { ok: false, reason: "missing" };
  if (!isWellFormed(timestampHeader, nonceHeader, signatureHeader)) return { ok: false, reason: "malformed" };
  const timestamp = Number(timestampHeader);
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > SIGNATURE_WINDOW_SECONDS) return { ok: false, reason: "stale" };

  const expected = createHmac("sha256", input.secret)
    .update(signatureMessage(timestampHeader, nonceHeader, input.method, input.pathWithQuery, input.bodyHash))
    .digest();
  const given = Buffer.from(signatureHeader, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad_signature" };
  }
  return { ok: true, signature: signatureHeader.toLowerCase(), timestamp };
}

export function isWellFormed(timestamp: string, nonce: string, signature: string): boolean {
  return /^\d{1,12}$/.test(timestamp) && /^[0-9a-f]{16,64}$/i.test(nonce) && /^[0-9a-f]{64}$/i.test(signature);
}

export interface TicketPayload {
  sessionId: string;
  userId: string;
  /** Unix seconds after which the ticket is refused. */
  exp: number;
  nonce: string;
}

function ticketMac(secret: string, payloadPart: string): Buffer {
  return createHmac("sha256", secret).update(`pty-ticket.${payloadPart}`).digest();
}

/** The header that carries a ticket on a WebSocket upgrade to a session's app (the terminal's goes in the query). */
export const APP_TICKET_HEADER = "x-runner-ticket";

export function issueTicket(
  secret: string,
  claims: { sessionId: string; userId: string },
  { ttlSeconds = TICKET_TTL_SECONDS, now = Math.floor(Date.now() / 1000) }: { ttlSeconds?: number; now?: number } = {},
): string {
  const payload: TicketPayload = {
    sessionId: claims.sessionId,
    userId: claims.userId,
    exp: now + ttlSeconds,
    nonce: randomBytes(12).toString("base64url"),
  };
  const payloadPart = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${payloadPart}.${ticketMac(secret, payloadPart).toString("base64url")}`;
}

export type TicketResult = { ok: true; payload: TicketPayload } | { ok: false; reason: "malformed" | "bad_signature" | "expired" };

export function verifyTicket(
  secret: string,
  ticket: string | null | undefined,
  now: number = Math.floor(Date.now() / 1000),
): TicketResult {
  if (!ticket || ticket.length > 2048) return { ok: false, reason: "malformed" };
  const parts = ticket.split(".");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, reason: "malformed" };
  const [payloadPart, macPart] = parts as [string, string];
  const given = Buffer.from(macPart, "base64url");
  const expected = ticketMac(secret, payloadPart);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad_signature" };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!isTicketPayload(payload)) return { ok: false, reason: "malformed" };
  if (payload.exp < now) return { ok: false, reason: "expired" };
  return { ok: true, payload };
}

function isTicketPayload(value: unknown): value is TicketPayload {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.sessionId === "string" &&
    typeof v.userId === "string" &&
    typeof v.exp === "number" &&
    Number.isFinite(v.exp) &&
    typeof v.nonce === "string"
  );
}
