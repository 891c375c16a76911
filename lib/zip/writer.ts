import { deflateRawSync } from "node:zlib";

/**
 * A small streaming ZIP writer (PKWARE APPNOTE 6.3, no ZIP64): each entry is
 * deflated on its own, with its CRC-32 and sizes known before its local
 * header goes out, so no data descriptors are needed. Names are UTF-8 with
 * general-purpose bit 11 set. Entries are produced one at a time, so memory
 * holds one entry plus the central directory.
 */

export interface ZipEntry {
  /** Path inside the archive, forward slashes, no leading "/". A trailing "/" makes a directory entry. */
  name: string;
  data: Uint8Array | string;
  /** Modification time; defaults to now. */
  modifiedAt?: Date | number;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const UTF8_FLAG = 1 << 11;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
const VERSION_NEEDED = 20;
/** Upper byte 3 = Unix, lower = spec 2.0. */
const VERSION_MADE_BY = (3 << 8) | 20;
const MAX_ENTRIES = 0xffff;
const MAX_U32 = 0xffffffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as ZIP stores it. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-DOS time and date fields (local time, 2-second resolution, years 1980–2107). */
function dosDateTime(value: Date | number | undefined): { time: number; date: number } {
  const d = value === undefined ? new Date() : new Date(value);
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export function assertValidEntryName(name: string): void {
  if (name.length === 0) throw new Error("ZIP entry name is empty.");
  if (name.startsWith("/") || name.includes("\\") || name.includes("\0")) {
    throw new Error(`ZIP entry name ${JSON.stringify(name)} must be relative with forward slashes.`);
  }
  if (name.split("/").some((segment) => segment === "..")) {
    throw new Error(`ZIP entry name ${JSON.stringify(name)} must not contain "..".`);
  }
}

interface CentralRecord {
  name: Buffer;
  crc: number;
  method: number;
  compressedSize: number;
  size: number;
  time: number;
  date: number;
  offset: number;
  directory: boolean;
}

function localHeader(r: CentralRecord): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(VERSION_NEEDED, 4);
  header.writeUInt16LE(UTF8_FLAG, 6);
  header.writeUInt16LE(r.method, 8);
  header.writeUInt16LE(r.time, 10);
  header.writeUInt16LE(r.date, 12);
  header.writeUInt32LE(r.crc, 14);
  header.writeUInt32LE(r.compressedSize, 18);
  header.writeUInt32LE(r.size, 22);
  header.writeUInt16LE(r.name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, r.name]);
}

function centralHeader(r: CentralRecord): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(CENTRAL_HEADER, 0);
  header.writeUInt16LE(VERSION_MADE_BY, 4);
  header.writeUInt16LE(VERSION_NEEDED, 6);
  header.writeUInt16LE(UTF8_FLAG, 8);
  header.writeUInt16LE(r.method, 10);
  header.writeUInt16LE(r.time, 12);
  header.writeUInt16LE(r.date, 14);
  header.writeUInt32LE(r.crc, 16);
  header.writeUInt32LE(r.compressedSize, 20);
  header.writeUInt32LE(r.size, 24);
  header.writeUInt16LE(r.name.length, 28);
  // extra length, comment length, disk number start, internal attributes: 0
  const mode = r.directory ? 0o40755 : 0o100644;
  header.writeUInt32LE(((mode << 16) | (r.directory ? 0x10 : 0)) >>> 0, 38);
  header.writeUInt32LE(r.offset, 42);
  return Buffer.concat([header, r.name]);
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return end;
}

/**
 * Yields the bytes of a ZIP archive of `entries`, entry by entry, then the
 * central directory. Throws on invalid or duplicate names and on archives
 * that would need ZIP64 (over 65535 entries or 4 GiB).
 */
export async function* zipChunks(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): AsyncGenerator<Uint8Array> {
  const records: CentralRecord[] = [];
  const seen = new Set<string>();
  let offset = 0;

  for await (const entry of entries) {
    assertValidEntryName(entry.name);
    if (seen.has(entry.name)) throw new Error(`ZIP entry ${JSON.stringify(entry.name)} appears twice.`);
    seen.add(entry.name);
    if (records.length >= MAX_ENTRIES) throw new Error(`A ZIP without ZIP64 holds at most ${MAX_ENTRIES} entries.`);

    const directory = entry.name.endsWith("/");
    const raw = typeof entry.data === "string" ? Buffer.from(entry.data, "utf8") : Buffer.from(entry.data);
    const deflated = raw.length > 0 && !directory ? deflateRawSync(raw) : null;
    const useDeflate = deflated !== null && deflated.length < raw.length;
    const body = useDeflate ? deflated : raw;
    const { time, date } = dosDateTime(entry.modifiedAt);
    const record: CentralRecord = {
      name: Buffer.from(entry.name, "utf8"),
      crc: crc32(raw),
      method: useDeflate ? METHOD_DEFLATE : METHOD_STORE,
      compressedSize: body.length,
      size: raw.length,
      time,
      date,
      offset,
      directory,
    };
    if (record.name.length > 0xffff) throw new Error("ZIP entry name is too long.");
    const header = localHeader(record);
    if (offset + header.length + body.length > MAX_U32)
      throw new Error("The archive would exceed 4 GiB (ZIP64 is not supported).");
    records.push(record);
    offset += header.length + body.length;
    yield header;
    if (body.length > 0) yield body;
  }

  const central = Buffer.concat(records.map(centralHeader));
  yield central;
  yield endOfCentralDirectory(records.length, central.length, offset);
}

/** The archive as a web ReadableStream, for a Response body. Pulls one entry per read. */
export function zipStream(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): ReadableStream<Uint8Array> {
  const chunks = zipChunks(entries);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/** The whole archive in memory (tests, small exports). */
export async function zipBuffer(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of zipChunks(entries)) parts.push(chunk);
  return Buffer.concat(parts);
}
