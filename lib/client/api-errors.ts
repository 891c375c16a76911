/**
 * What the browser makes of an API error response (`{error, message, …}`
 * JSON, lib/http/errors): the cases the UI explains differently.
 */

export type ApiProblem =
  | { kind: "insufficient_credits"; required: number; available: number; message: string }
  | { kind: "rate_limited"; retryAfterSec: number; message: string }
  | { kind: "no_provider"; message: string }
  | { kind: "unauthorized"; message: string }
  /** A 5xx's message ends with "(Reference: <requestId>)", the id the server's log lines about it carry. */
  | { kind: "other"; status: number; code: string; message: string; field?: string; requestId?: string };

interface ErrorJson {
  error?: string;
  message?: string;
  required?: number;
  available?: number;
  retryAfterSec?: number;
  field?: string;
  issues?: { path: string; message: string }[];
  requestId?: string;
}

export async function problemFrom(response: Response): Promise<ApiProblem> {
  const body = (await response.json().catch(() => null)) as ErrorJson | null;
  const message = body?.message ?? `The request failed (HTTP ${response.status}).`;
  if (response.status === 402 && typeof body?.required === "number" && typeof body.available === "number") {
    return { kind: "insufficient_credits", required: body.required, available: body.available, message };
  }
  if (response.status === 429) {
    const header = Number(response.headers.get("retry-after"));
    const retryAfterSec = Number.isFinite(header) && header > 0 ? header : (body?.retryAfterSec ?? 60);
    return { kind: "rate_limited", retryAfterSec, message };
  }
  if (response.status === 503 && body?.error === "no_provider") return { kind: "no_provider", message };
  if (response.status === 401) return { kind: "unauthorized", message: "Your session has ended. Sign in again." };
  const field = body?.field ?? body?.issues?.[0]?.path;
  const requestId = typeof body?.requestId === "string" && body.requestId.length <= 128 ? body.requestId : undefined;
  // Something failed on the server's side: the reference lets whoever runs it find what happened.
  const reference = requestId && response.status >= 500 ? ` (Reference: ${requestId})` : "";
  return {
    kind: "other",
    status: response.status,
    code: body?.error ?? "error",
    message: `${message}${reference}`,
    ...(field ? { field } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

export const NETWORK_PROBLEM: ApiProblem = {
  kind: "other",
  status: 0,
  code: "network",
  message: "Could not reach the server. Check your connection and try again.",
};

/** POST JSON; `{ok: true, data}` or `{ok: false, problem}`. Never throws for HTTP or network errors. */
export async function postJson<T>(url: string, body: unknown, signal?: AbortSignal): Promise<{ ok: true; data: T } | { ok: false; problem: ApiProblem }> {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    return { ok: false, problem: NETWORK_PROBLEM };
  }
  if (!response.ok) return { ok: false, problem: await problemFrom(response) };
  return { ok: true, data: (await response.json()) as T };
}
