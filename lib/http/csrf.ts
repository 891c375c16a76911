import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const csrfRejected = () =>
  new HttpError(403, "csrf", "This request came from another site and was refused.");

/** Origins this app is served from: APP_URL, the request URL, and the Host the proxy saw. */
function ownOrigins(request: Request): Set<string> {
  const origins = new Set<string>();
  const add = (value: string) => {
    try {
      origins.add(new URL(value).origin);
    } catch {
      // ignore unparseable values
    }
  };
  add(env().APP_URL);
  add(request.url);
  const protocol = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || new URL(request.url).protocol.replace(":", "");
  for (const header of ["x-forwarded-host", "host"]) {
    const host = request.headers.get(header)?.split(",")[0]?.trim();
    if (host) add(`${protocol}://${host}`);
  }
  return origins;
}

/**
 * Whether a state-changing request may act on the caller's cookies.
 * Browsers send Origin on every cross-origin POST and Sec-Fetch-Site on
 * modern engines; clients that send neither (curl, server-to-server) cannot
 * carry a victim's cookies, so they pass.
 */
export function isSameOriginRequest(request: Request): boolean {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return true;
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite === "cross-site") return false;
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  if (origin === "null") return false;
  return ownOrigins(request).has(origin);
}

/** Throws a 403 `{error: "csrf"}` when a state-changing request comes from another origin. */
export function assertSameOrigin(request: Request): void {
  if (!isSameOriginRequest(request)) throw csrfRejected();
}
