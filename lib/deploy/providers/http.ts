import { redactSecrets } from "@/lib/deploy/logs";
import { log } from "@/lib/log";
import { PROVIDER_LABELS } from "@/lib/deploy/labels";
import { DeployProviderError, type DeploymentProvider } from "@/lib/deploy/types";

/**
 * The HTTP plumbing the three deploy clients share: fetch with a timeout and
 * the caller's AbortSignal, a few retries on transient failures, and HTTP
 * failures mapped onto DeployProviderError with the token scrubbed from
 * every message (a provider may echo what it was sent). Every failed attempt
 * is logged (lib/log.ts, warn): provider, host, method, path, status, code and
 * the provider's text, token scrubbed.
 */

export interface ProviderHttpOptions {
  /** The API origin, e.g. https://api.vercel.com (no trailing slash needed). */
  baseUrl: string;
  fetch?: typeof fetch;
  /** Per attempt. Default 30 s (uploads included). */
  timeoutMs?: number;
  /** Waits between attempts of a retried call; its length is the number of retries. Default [300, 1000, 3000]. */
  retryDelaysMs?: readonly number[];
}

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [300, 1000, 3000];
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ProviderCall {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path plus query, appended to baseUrl. */
  path: string;
  token: string;
  /** A plain object/array is sent as JSON; bytes and strings as they are (set content-type in headers). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Retry 429/5xx/network failures with the configured backoff. */
  retry: boolean;
}

export interface ProviderResponse {
  status: number;
  /** Parsed JSON when the body is JSON, else null. */
  json: unknown;
  text: string;
}

/**
 * Pulls the provider's own error text out of an error body. Covers the shapes
 * of all three: Vercel `{error:{code,message}}`, Netlify `{code,message}`,
 * GraphQL `{errors:[{message}]}`, and bare strings.
 */
export function providerErrorText(body: unknown, fallback: string): string {
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 500);
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const nested = b.error;
    if (nested && typeof nested === "object" && typeof (nested as Record<string, unknown>).message === "string") {
      return (nested as { message: string }).message;
    }
    if (typeof nested === "string") return nested;
    if (typeof b.message === "string") return b.message;
    if (typeof b.error_message === "string") return b.error_message;
    if (Array.isArray(b.errors)) {
      const messages = b.errors
        .map((e) => (e && typeof e === "object" ? (e as { message?: unknown }).message : e))
        .filter((m): m is string => typeof m === "string");
      if (messages.length) return messages.join("; ");
    }
  }
  return fallback;
}

/** Maps an HTTP failure onto DeployProviderError; the message never contains the token. */
export function httpError(provider: DeploymentProvider, status: number, body: unknown, token: string): DeployProviderError {
  const label = PROVIDER_LABELS[provider];
  const detail = redactSecrets(providerErrorText(body, `HTTP ${status}`), [token]);
  if (status === 401 || status === 403) {
    return new DeployProviderError(provider, `${label} rejected the token (HTTP ${status}): ${detail}`, {
      status,
      retryable: false,
      code: "unauthorized",
    });
  }
  if (status === 404) {
    return new DeployProviderError(provider, `${label}: not found (HTTP 404): ${detail}`, { status, retryable: false, code: "not_found" });
  }
  if (status === 429) {
    return new DeployProviderError(provider, `${label} is rate limiting requests (HTTP 429): ${detail}`, {
      status,
      retryable: true,
      code: "rate_limited",
    });
  }
  if (status >= 500) {
    return new DeployProviderError(provider, `${label} is unavailable (HTTP ${status}): ${detail}`, {
      status,
      retryable: true,
      code: "unavailable",
    });
  }
  return new DeployProviderError(provider, `${label}: ${detail} (HTTP ${status})`, { status, retryable: false, code: "bad_request" });
}

export function scrubbedError(provider: DeploymentProvider, message: string, token: string, options: DeployProviderError["options"]) {
  return new DeployProviderError(provider, redactSecrets(message, [token]), options);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function encodeBody(call: ProviderCall): { body?: BodyInit; contentType?: string } {
  const { body } = call;
  if (body === undefined) return {};
  if (typeof body === "string") return { body };
  if (body instanceof Uint8Array) return { body: body as Uint8Array<ArrayBuffer> };
  return { body: JSON.stringify(body), contentType: "application/json" };
}

async function attempt(provider: DeploymentProvider, http: ProviderHttpOptions, call: ProviderCall): Promise<ProviderResponse> {
  const doFetch = http.fetch ?? fetch;
  const timeout = AbortSignal.timeout(http.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
  const { body, contentType } = encodeBody(call);
  const headers: Record<string, string> = {
    accept: "application/json",
    ...(contentType ? { "content-type": contentType } : {}),
    ...call.headers,
    authorization: `Bearer ${call.token}`,
  };
  let response: Response;
  let text: string;
  try {
    response = await doFetch(`${http.baseUrl.replace(/\/+$/, "")}${call.path}`, { method: call.method, headers, body, signal });
    text = await response.text();
  } catch (err) {
    if (call.signal?.aborted) throw call.signal.reason;
    const reason = timeout.aborted ? "timed out" : err instanceof Error ? err.message : String(err);
    throw scrubbedError(provider, `${PROVIDER_LABELS[provider]} could not be reached: ${reason}`, call.token, {
      retryable: true,
      code: "unavailable",
    });
  }
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!response.ok) throw httpError(provider, response.status, json ?? text, call.token);
  return { status: response.status, json, text };
}

function logFailedAttempt(
  provider: DeploymentProvider,
  http: ProviderHttpOptions,
  call: ProviderCall,
  err: DeployProviderError,
  retryInMs: number | undefined,
): void {
  let host: string | undefined;
  try {
    host = new URL(http.baseUrl).host;
  } catch {
    host = undefined;
  }
  log.warn(
    {
      provider,
      host,
      method: call.method,
      path: call.path.split("?")[0],
      status: err.options.status,
      code: err.options.code,
      error: redactSecrets(err.message, [call.token]),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    },
    "deploy provider call failed",
  );
}

/** One provider API call; retried on transient failures when `call.retry` is set. */
export async function providerRequest(provider: DeploymentProvider, http: ProviderHttpOptions, call: ProviderCall): Promise<ProviderResponse> {
  const delays = call.retry ? (http.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS) : [];
  for (let i = 0; ; i++) {
    try {
      return await attempt(provider, http, call);
    } catch (err) {
      const retryable = err instanceof DeployProviderError && err.retryable;
      const retryInMs = retryable && i < delays.length ? delays[i] : undefined;
      if (err instanceof DeployProviderError) logFailedAttempt(provider, http, call, err, retryInMs);
      if (retryInMs === undefined) throw err;
      await sleep(retryInMs, call.signal);
    }
  }
}

/** A JSON object field as a string, or undefined. */
export function str(value: unknown, key: string): string | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

/** Fails with a non-retryable error when a success body lacks what the client needs. */
export function unexpected(provider: DeploymentProvider, what: string): DeployProviderError {
  return new DeployProviderError(provider, `${PROVIDER_LABELS[provider]} answered without ${what}`, { retryable: false, code: "bad_request" });
}

export function httpsUrl(hostOrUrl: string | undefined | null): string | null {
  if (!hostOrUrl) return null;
  return /^https?:\/\//.test(hostOrUrl) ? hostOrUrl : `https://${hostOrUrl}`;
}
