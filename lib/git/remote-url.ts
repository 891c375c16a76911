/**
 * Which Git remotes the server may push to. The server makes the request, so
 * an unchecked URL would let a user reach internal hosts (SSRF): the host must
 * be listed in GIT_ALLOWED_HOSTS. https only — plain http only for a listed
 * `host:port` entry (how tests point at a local server). Credentials never
 * travel in the URL; the user's stored token is sent through onAuth.
 */

export class RemoteUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteUrlError";
  }
}

export const MAX_REMOTE_URL_LENGTH = 2048;

/** The comma-separated GIT_ALLOWED_HOSTS list, lower-cased, blanks dropped. */
export function parseAllowedHosts(value: string): string[] {
  return value
    .split(",")
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host.length > 0);
}

/** The parsed remote URL, or throws RemoteUrlError saying what is wrong (never echoing credentials). */
export function validateRemoteUrl(raw: string, allowedHosts: readonly string[]): URL {
  if (raw.length > MAX_REMOTE_URL_LENGTH) throw new RemoteUrlError("The remote URL is too long.");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RemoteUrlError("The remote URL is not a valid URL.");
  }
  if (url.username || url.password) {
    throw new RemoteUrlError(
      "The remote URL must not contain a user name or password; your stored token is used instead.",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RemoteUrlError("The remote URL must start with https://.");
  }
  const host = url.host.toLowerCase();
  if (!allowedHosts.includes(host)) {
    throw new RemoteUrlError(`Pushing to ${url.hostname} is not allowed on this server (allowed: ${allowedHosts.join(", ") || "none"}).`);
  }
  // http only for entries that name an explicit port, e.g. a local test server.
  if (url.protocol === "http:" && (url.port === "" || !host.includes(":"))) {
    throw new RemoteUrlError("The remote URL must start with https://.");
  }
  if (url.search || url.hash) throw new RemoteUrlError("The remote URL must not have a query or fragment.");
  if (url.pathname.replace(/\/+$/, "").length <= 1) {
    throw new RemoteUrlError("The remote URL must name a repository, e.g. https://github.com/you/app.git.");
  }
  return url;
}
