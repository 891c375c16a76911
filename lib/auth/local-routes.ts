import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";

/** The local-account endpoints exist only when Clerk is not configured. */
export function assertLocalAuthMode(): void {
  if (env().authMode !== "local") {
    throw new HttpError(404, "not_found", "Email and password accounts are disabled; sign in with Clerk.");
  }
}
