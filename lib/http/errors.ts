import { NextResponse } from "next/server";
import { ZodError, type ZodType } from "zod";
import { isStoreError } from "@/lib/store/types";
import { readBoundedText } from "./bounded-body";

/** Every error response body: `{ error: <machine code>, message: <for people>, ...extra }`. */
export interface ErrorBody {
  error: string;
  message: string;
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
  return NextResponse.json({ error: code, message, ...extra }, { status, headers });
}

/** Maps anything thrown in a route handler to a JSON error; never leaks a stack. */
export function toErrorResponse(err: unknown): NextResponse<ErrorBody> {
  if (err instanceof HttpError) {
    return errorResponse(err.status, err.code, err.message, err.extra, err.headers);
  }
  if (err instanceof ZodError) {
    return errorResponse(400, "invalid_request", describeZodError(err), {
      issues: err.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  if (isStoreError(err, "not_found")) return errorResponse(404, "not_found", err.message);
  if (isStoreError(err, "conflict")) return errorResponse(409, "conflict", err.message);
  if (isStoreError(err, "invalid")) return errorResponse(400, "invalid_request", err.message);
  console.error("[autocrea] unhandled route error:", err instanceof Error ? err.message : err);
  return errorResponse(500, "internal_error", "Something went wrong on our side. Please try again.");
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

/** Wraps a route handler so every thrown error becomes a JSON error response. */
export function route<C = unknown>(handler: Handler<C>): Handler<C> {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (err) {
      return toErrorResponse(err);
    }
  };
}
