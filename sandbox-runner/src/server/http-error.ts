/** An error that becomes a JSON response `{error: code, message, ...extra}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message: string, extra?: Record<string, unknown>) =>
  new HttpError(400, "invalid_request", message, extra);
export const notFound = (message = "Not found.") => new HttpError(404, "not_found", message);
