import { createHash } from "node:crypto";

/**
 * Content address of a file (version manifests, blobs). Node-only: kept apart
 * from lib/files/paths so the pure path rules stay usable in any runtime.
 */
export function sha256Hex(content: string): string {
  return createHash("sha256").update(content, "utf8").digest("hex");
}
