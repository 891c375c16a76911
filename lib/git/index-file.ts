import { createHash } from "node:crypto";

/**
 * A Git index (version 2, gitformat-index(5)) for a tree of regular files, so
 * an unpacked export has a clean `git status`. Stat fields are zero except the
 * size: Git then re-hashes each file once and finds it unchanged (a non-zero
 * size that differed would be reported as a change without hashing).
 */

export interface IndexEntry {
  /** Path relative to the repository root, forward slashes. */
  path: string;
  /** Blob id (40 hex). */
  oid: string;
  /** Content length in bytes. */
  size: number;
}

const ENTRY_FIXED_BYTES = 62;
const REGULAR_FILE_MODE = 0o100644;
const NAME_LENGTH_MASK = 0xfff;

/** Git orders index entries by the bytes of their paths. */
function byPathBytes(a: { name: Buffer }, b: { name: Buffer }): number {
  return Buffer.compare(a.name, b.name);
}

export function renderIndexFile(entries: readonly IndexEntry[]): Buffer {
  const named = entries.map((entry) => ({ ...entry, name: Buffer.from(entry.path, "utf8") })).sort(byPathBytes);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write("DIRC", 0, "ascii");
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(named.length, 8);
  parts.push(header);

  for (const entry of named) {
    const unpadded = ENTRY_FIXED_BYTES + entry.name.length;
    // 1 to 8 NULs: the name is NUL-terminated and the entry padded to a multiple of 8.
    const length = unpadded + (8 - (unpadded % 8));
    const buffer = Buffer.alloc(length);
    // ctime, mtime (sec + nsec), dev, ino: 0
    buffer.writeUInt32BE(REGULAR_FILE_MODE, 24);
    // uid, gid: 0
    buffer.writeUInt32BE(entry.size >>> 0, 36);
    buffer.write(entry.oid, 40, "hex");
    buffer.writeUInt16BE(Math.min(entry.name.length, NAME_LENGTH_MASK), 60);
    entry.name.copy(buffer, ENTRY_FIXED_BYTES);
    parts.push(buffer);
  }

  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash("sha1").update(body).digest()]);
}
