import type { IncomingHttpHeaders } from "node:http";
import { ReplayGuard } from "./replay";
import {
  isWellFormed,
  NONCE_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_WINDOW_SECONDS,
  TIMESTAMP_HEADER,
  verifyRequestSignature,
  verifyTicket,
  type TicketPayload,
} from "./signing";

export type AuthFailure = "missing" | "malformed" | "stale" | "bad_signature" | "replayed";

const MESSAGES: Record<AuthFailure, string> = {
  missing: "This request is not signed (X-Runner-Timestamp, X-Runner-Nonce and X-Runner-Signature are required).",
  malformed: "The request signature headers are malformed.",
  stale: `The request timestamp is more than ${SIGNATURE_WINDOW_SECONDS} s away from the runner's clock.`,
  bad_signature: "The request signature does not match.",
  replayed: "This request was already received once.",
};

export function describeAuthFailure(reason: AuthFailure): string {
  return MESSAGES[reason];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The runner's side of the app↔runner trust boundary: HMAC-signed requests
 * with replay protection, and single-use terminal tickets.
 */
export class RequestAuthenticator {
  private readonly seenSignatures = new ReplayGuard();
  private readonly usedTickets = new ReplayGuard();

  constructor(
    private readonly secret: string,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Cheap checks before the body is read: headers present, well-formed, timestamp in the window. */
  precheck(headers: IncomingHttpHeaders): AuthFailure | null {
    const timestamp = header(headers, TIMESTAMP_HEADER);
    const nonce = header(headers, NONCE_HEADER);
    const signature = header(headers, SIGNATURE_HEADER);
    if (!timestamp || !nonce || !signature) return "missing";
    if (!isWellFormed(timestamp, nonce, signature)) return "malformed";
    if (Math.abs(this.clock() - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) return "stale";
    return null;
  }

  /** Full check once the body's hash is known; records the signature so it is accepted only once. */
  verify(headers: IncomingHttpHeaders, method: string, pathWithQuery: string, bodySha256: string): AuthFailure | null {
    const now = this.clock();
    const result = verifyRequestSignature({
      secret: this.secret,
      method,
      pathWithQuery,
      bodyHash: bodySha256,
      timestampHeader: header(headers, TIMESTAMP_HEADER),
      nonceHeader: header(headers, NONCE_HEADER),
      signatureHeader: header(headers, SIGNATURE_HEADER),
      now,
    });
    if (!result.ok) return result.reason;
    // Remembered until it could no longer pass the timestamp check anyway.
    if (!this.seenSignatures.firstUse(result.signature, result.timestamp + SIGNATURE_WINDOW_SECONDS, now)) {
      return "replayed";
    }
    return null;
  }

  /** A terminal ticket for exactly this session; each ticket opens one socket. */
  verifyTicket(ticket: string | null, sessionId: string): { ok: true; payload: TicketPayload } | { ok: false; message: string } {
    const now = this.clock();
    const result = verifyTicket(this.secret, ticket, now);
    if (!result.ok) {
      return {
        ok: false,
        message: result.reason === "expired" ? "The terminal ticket has expired." : "The terminal ticket is invalid.",
      };
    }
    if (result.payload.sessionId !== sessionId) return { ok: false, message: "The terminal ticket is for another session." };
    if (!this.usedTickets.firstUse(ticket!, result.payload.exp, now)) {
      return { ok: false, message: "The terminal ticket was already used." };
    }
    return result;
  }
}
