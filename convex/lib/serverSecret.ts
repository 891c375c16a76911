import { storeError } from "./errors";

/**
 * Every public function is called only by the Next.js server, which proves
 * itself with the shared secret set as the deployment's AUTOCREA_SERVER_SECRET.
 */
export function requireServerSecret(given: string): void {
  const expected = process.env.AUTOCREA_SERVER_SECRET;
  if (!expected) {
    throw storeError("unauthorized", "AUTOCREA_SERVER_SECRET is not set on the Convex deployment");
  }
  if (!constantTimeEqual(given, expected)) {
    throw storeError("unauthorized", "wrong server secret");
  }
}

/** Compares without an early exit, so timing does not reveal how much of the secret matched. */
function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  }
  return diff === 0;
}
