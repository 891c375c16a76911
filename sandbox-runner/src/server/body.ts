import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-error";

export interface RawBody {
  bytes: Buffer;
  /** Hex sha256, the value request signatures cover. */
  sha256: string;
}

export const tooLarge = (maxBytes: number) =>
  new HttpError(413, "payload_too_large", `Request body is larger than ${maxBytes} bytes.`);

/**
 * Reads a request body of at most `maxBytes`. A declared Content-Length over
 * the limit is refused before any byte is read; a chunked body is refused as
 * soon as it crosses the limit. Either way nothing beyond the limit is kept.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<RawBody> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);

  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks, size), sha256: hash.digest("hex") };
}
