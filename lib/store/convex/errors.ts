import { StoreError, type StoreErrorCode } from "../types";

const STORE_CODES: ReadonlySet<string> = new Set<StoreErrorCode>(["not_found", "conflict", "invalid"]);

/**
 * Convex functions throw ConvexError({ code, message }) (convex/lib/errors.ts).
 * Turns those back into StoreError; a refused server secret becomes a plain
 * Error because it is a deployment misconfiguration, not a domain outcome.
 */
export function fromConvexError(e: unknown): unknown {
  const data = convexErrorData(e);
  if (data) {
    if (STORE_CODES.has(data.code)) return new StoreError(data.code as StoreErrorCode, data.message);
    if (data.code === "unauthorized") {
      return new Error(`Convex refused the request (${data.message}); check AUTOCREA_SERVER_SECRET on both sides.`);
    }
  }
  // Arguments refused by the functions' validators: "ArgumentValidationError" from a deployment, "Validator error" from convex-test.
  if (e instanceof Error && /ArgumentValidationError|Validator error/.test(e.message)) {
    return new StoreError("invalid", e.message);
  }
  return e;
}

function convexErrorData(e: unknown): { code: string; message: string } | null {
  if (!(e instanceof Error) || e.name !== "ConvexError") return null;
  const data = (e as Error & { data?: unknown }).data;
  if (typeof data !== "object" || data === null) return null;
  const { code, message } = data as { code?: unknown; message?: unknown };
  return typeof code === "string" ? { code, message: typeof message === "string" ? message : code } : null;
}
