import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";

/**
 * The package gateway's settings (README "Package gateway"), from the environment. The upstream
 * registries default to the one the host's npm is configured with, so `npm run dev` needs nothing.
 */
export interface GatewayConfig {
  /** npm registries the gateway reads from, in order (Verdaccio uplinks). */
  npmUpstreams: string[];
  /** A PEP 691 simple index Python packages are read from (gateway/pypi.ts); null: none. */
  pypiUpstream: string | null;
  /** Where fetched metadata and tarballs are kept, shared by every session (a volume in Docker). */
  cacheDir: string;
  /** Where the gateway's sockets live (under the runner's state dir). */
  socketDir: string;
  /** Unprivileged uid/gid the registry server runs as; neither root nor a sandbox uid. */
  uid: number;
  gid: number;
  /** Requests one session may make per minute; past it the gateway answers 429. */
  requestsPerMinute: number;
  /** Requests one session may have in flight at once. */
  concurrentRequests: number;
  /** Largest single response (a tarball); a larger one is cut off. */
  maxResponseBytes: number;
  /** How long one request may take, upstream fetch included. */
  requestTimeoutMs: number;
}

/** The port package managers inside a sandbox talk to (gateway-link listens there). */
export const GATEWAY_PORT_IN_SANDBOX = 4873;
/** Where a session's door to the gateway is bound inside its sandboxes. */
export const GATEWAY_SOCKET_IN_SANDBOX = "/run/autocrea/registry.sock";

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max));

const upstreamList = z
  .string()
  .transform((v) => v.split(",").map((url) => url.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z.url({ protocol: /^https?$/, error: "each upstream must be an http(s) URL" }).transform((url) => (url.endsWith("/") ? url : `${url}/`)),
      )
      .min(1, "name at least one upstream registry"),
  );

const schema = z.object({
  RUNNER_NPM_UPSTREAMS: upstreamList.optional(),
  RUNNER_PYPI_UPSTREAM: z
    .url({ protocol: /^https?$/, error: "RUNNER_PYPI_UPSTREAM must be the http(s) URL of a simple index" })
    .transform((url) => (url.endsWith("/") ? url : `${url}/`))
    .optional(),
  RUNNER_GATEWAY_CACHE_DIR: z.string().optional(),
  RUNNER_GATEWAY_UID: integer(63999, 1, 2 ** 31 - 1),
  RUNNER_GATEWAY_REQUESTS_PER_MINUTE: integer(6000, 10, 1_000_000),
  RUNNER_GATEWAY_CONCURRENT_REQUESTS: integer(64, 1, 1024),
  RUNNER_GATEWAY_MAX_RESPONSE_MB: integer(512, 1, 16 * 1024),
  RUNNER_GATEWAY_TIMEOUT_SECONDS: integer(120, 5, 3600),
});

/** The registry the host's npm uses (`npm config get registry`). */
async function hostNpmRegistry(): Promise<string> {
  const { stdout } = await promisify(execFile)("npm", ["config", "get", "registry"], { timeout: 30_000 });
  return stdout.trim();
}

export async function loadGatewayConfig(
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
  defaultUpstream: () => Promise<string> = hostNpmRegistry,
): Promise<GatewayConfig> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid package gateway environment:\n  ${issues.join("\n  ")}`);
  }
  const e = parsed.data;
  const npmUpstreams = e.RUNNER_NPM_UPSTREAMS ?? upstreamList.parse(await defaultUpstream());
  const cacheDir = e.RUNNER_GATEWAY_CACHE_DIR || path.join(stateDir, "gateway-cache");
  if (!path.isAbsolute(cacheDir)) throw new Error(`RUNNER_GATEWAY_CACHE_DIR must be absolute, got "${cacheDir}"`);
  return {
    npmUpstreams,
    pypiUpstream: e.RUNNER_PYPI_UPSTREAM ?? null,
    cacheDir,
    socketDir: path.join(stateDir, "gateway"),
    uid: e.RUNNER_GATEWAY_UID,
    gid: e.RUNNER_GATEWAY_UID,
    requestsPerMinute: e.RUNNER_GATEWAY_REQUESTS_PER_MINUTE,
    concurrentRequests: e.RUNNER_GATEWAY_CONCURRENT_REQUESTS,
    maxResponseBytes: e.RUNNER_GATEWAY_MAX_RESPONSE_MB * 1024 * 1024,
    requestTimeoutMs: e.RUNNER_GATEWAY_TIMEOUT_SECONDS * 1000,
  };
}
