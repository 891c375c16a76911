/** A problem with what the client sent. The HTTP layer answers 400 with `{ error: code, message }`. */
export class RequestError extends Error {
  readonly status = 400;

  constructor(
    readonly code: "invalid_request" | "unknown_language",
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}
