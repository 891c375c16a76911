import { NextResponse } from "next/server";
import { ZodError, type ZodType } from "zod";
import { currentRequestId, log, REQUEST_ID_HEADER, requestIdFrom, withLogContext, type LogContext } from "@/lib/log";
import { isStoreError } from "@/lib/store/types";
import { readBoundedText } from "./bounded-body";

/**
 * Every error response body: `{ error: <machine code>, message: <for people>, ...extra, requestId }`,
 * `requestId` being the id of the request (also in the `x-request-id` header) that the server's log
 * lines about it carry.
 */
export interface ErrorBody {
  error: string;
  message: string;
  requestId?: string;
  [extra: string]: unknown;
}

export class HttpError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly extra: Record<string, unknown> = {},
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const unauthorized = () => new HttpError(401, "unauthorized", "Sign in to continue.");
export const notFound = (what = "Resource") => new HttpError(404, "not_found", `${what} not found.`);

export function errorResponse(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): NextResponse<ErrorBody> {
  const requestId = currentRequestId();
  const body: ErrorBody = { error: code, message, ...extra, ...(requestId ? { requestId } : {}) };
  return NextResponse.json(body, { status, headers: requestId ? { ...headers, [REQUEST_ID_HEADER]: requestId } : headers });
}

interface MappedError {
  status: number;
  code: string;
  message: string;
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

const INTERNAL_ERROR: MappedError = { status: 500, code: "internal_error", message: "Something went wrong on our side. Please try again." };

/** What a thrown error is answered with; undefined for an error nobody expected. */
function mapError(err: unknown): MappedError | undefined {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, extra: err.extra, headers: err.headers };
  if (err instanceof ZodError) {
    return {
      status: 400,
      code: "invalid_request",
      message: describeZodError(err),
      extra: { issues: err.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
    };
  }
  if (isStoreError(err, "not_found")) return { status: 404, code: "not_found", message: err.message };
  if (isStoreError(err, "conflict")) return { status: 409, code: "conflict", message: err.message };
  if (isStoreError(err, "invalid")) return { status: 400, code: "invalid_request", message: err.message };
  return undefined;
}

/**
 * Maps anything thrown in a route handler to a JSON error; never leaks a stack. An error it does
 * not know is logged, stack included, and answered with a sentence (and the request id).
 */
export function toErrorResponse(err: unknown): NextResponse<ErrorBody> {
  const mapped = mapError(err);
  if (!mapped) log.error({ err }, "unhandled route error");
  const { status, code, message, extra, headers } = mapped ?? INTERNAL_ERROR;
  return errorResponse(status, code, message, extra, headers);
}

export function describeZodError(err: ZodError): string {
  const first = err.issues[0];
  if (!first) return "Invalid request.";
  const where = first.path.length ? `${first.path.join(".")}: ` : "";
  // "cap must be…" already names its field (lib/http/fields.ts): no "cap: " in front.
  const named = first.path.length === 1 && first.message.startsWith(`${String(first.path[0])} `);
  return named ? first.message : `${where}${first.message}`;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/** application/json, with or without parameters (`; charset=utf-8`). */
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Reads a JSON body and validates it. Malformed JSON, a wrong content type,
 * an over-long body or a schema mismatch all become a 4xx HttpError.
 */
export async function parseJson<T>(
  request: Request,
  schema: ZodType<T>,
  { maxBytes = DEFAULT_MAX_BODY }: { maxBytes?: number } = {},
): Promise<T> {
  if (!JSON_CONTENT_TYPE.test(request.headers.get("content-type")?.trim() ?? "")) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      'Send the request body as JSON, with the header "Content-Type: application/json".',
    );
  }
  const text = await readBoundedText(request, maxBytes);
  if (text === undefined) {
    throw new HttpError(413, "payload_too_large", `Request body is larger than ${maxBytes} bytes.`);
  }
  let data: unknown;
  try {
    data = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "Request body is not valid JSON.");
  }
  if (data === undefined) {
    throw new HttpError(400, "invalid_json", "Request body must be a JSON object.");
  }
  const result = schema.safeParse(data);
  if (!result.success) throw result.error;
  return result.data;
}

type Handler<C> = (request: Request, context: C) => Promise<Response>;

/**
 * Wraps a route handler: every thrown error becomes a JSON error response, and the request gets an
 * id (a valid incoming `x-request-id`, else a new one) that every log entry made while handling it
 * carries (lib/log.ts), that the response's `x-request-id` header echoes, and that calls to the
 * runner pass on. Once answered, the request is logged: method, route, status, duration (until the
 * response starts; a stream goes on after), the user when known, and an error response's code.
 */
export function route<C = unknown>(handler: Handler<C>): Handler<C> {
  return async (request, context) => {
    const started = performance.now();
    const logContext: LogContext = { requestId: requestIdFrom(request.headers.get(REQUEST_ID_HEADER)) };
    return withLogContext(logContext, async () => {
      let response: Response;
      let failure: { code: string; message: string } | undefined;
      try {
        response = await handler(request, context);
      } catch (err) {
        response = toErrorResponse(err);
        failure = describeFailure(err);
      }
      response = withHeader(response, REQUEST_ID_HEADER, logContext.requestId);
      logRequest(request, response.status, performance.now() - started, failure);
      return response;
    });
  };
}

/** What the request line says about a thrown error: its code, and for a known 5xx its sentence. */
function describeFailure(err: unknown): { code: string; message: string } {
  const mapped = mapError(err);
  return mapped ? { code: mapped.code, message: mapped.message } : { code: INTERNAL_ERROR.code, message: "" };
}

function logRequest(request: Request, status: number, durationMs: number, failure: { code: string; message: string } | undefined): void {
  let path = "";
  try {
    path = new URL(request.url).pathname;
  } catch {
    // a relative URL: leave the route out
  }
  const fields = {
    method: request.method,
    route: path,
    status,
    durationMs: Math.round(durationMs),
    ...(failure ? { error: failure.code } : {}),
    ...(failure && status >= 500 && failure.message ? { errorMessage: failure.message } : {}),
  };
  if (status >= 500) log.warn(fields, "request failed");
  else log.info(fields, "request");
}

/** The response with one more header; a response whose headers are immutable (a fetched one) is copied. */
function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
