import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { crc32 as zlibCrc32, inflateRawSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { attachmentDisposition, crc32, safeArchiveName, zipBuffer, zipStream, type ZipEntry } from "@/lib/zip";

const dir = mkdtempSync(path.join(tmpdir(), "autocrea-zip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let archiveCount = 0;
function writeArchive(bytes: Buffer): string {
  const file = path.join(dir, `a${++archiveCount}.zip`);
  writeFileSync(file, bytes);
  return file;
}

/** Extracts with Info-ZIP unzip (a real, independent implementation) and returns path → bytes. */
function extractWithUnzip(file: string): Map<string, Buffer> {
  const out = path.join(dir, `x${archiveCount}`);
  execFileSync("unzip", ["-q", "-o", file, "-d", out]);
  const listing = execFileSync("python3", [
    "-c",
    "import sys,zipfile;[print(i.filename) for i in zipfile.ZipFile(sys.argv[1]).infolist()]",
    file,
  ]).toString("utf8");
  const files = new Map<string, Buffer>();
  for (const name of listing.split("\n").filter(Boolean)) {
    if (!name.endsWith("/")) files.set(name, readFileSync(path.join(out, name)));
  }
  return files;
}

interface CentralEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/** Parses the central directory by hand, to check fields that unzip does not show. */
function centralDirectory(zip: Buffer): CentralEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThan(-1);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
      name: zip.subarray(at + 46, at + 46 + nameLength).toString("utf8"),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

describe("crc32", () => {
  it("matches the standard check value and zlib", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
    const random = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));
    expect(crc32(random)).toBe(zlibCrc32(random));
  });
});

describe("zip writer", () => {
  it("round-trips files through unzip, nested paths and an empty file included", async () => {
    const big = "export const line = 'hello';\n".repeat(2000);
    const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 31) % 256));
    const entries: ZipEntry[] = [
      { name: "app/README.md", data: "# Hello\n" },
      { name: "app/src/components/deep/Button.tsx", data: big },
      { name: "app/empty.txt", data: "" },
      { name: "app/assets/blob.bin", data: binary },
    ];
    const zip = await zipBuffer(entries);
    const extracted = extractWithUnzip(writeArchive(zip));
    expect([...extracted.keys()].sort()).toEqual(entries.map((e) => e.name).sort());
    expect(extracted.get("app/README.md")!.toString("utf8")).toBe("# Hello\n");
    expect(extracted.get("app/src/components/deep/Button.tsx")!.toString("utf8")).toBe(big);
    expect(extracted.get("app/empty.txt")!.length).toBe(0);
    expect(extracted.get("app/assets/blob.bin")!.equals(binary)).toBe(true);
    // unzip -t verifies every CRC
    expect(execFileSync("unzip", ["-t", writeArchive(zip)]).toString()).toContain("No errors detected");
  });

  it("writes correct CRCs and sizes, deflating what compresses", async () => {
    const text = "aaaaaaaaaa".repeat(100);
    const zip = await zipBuffer([
      { name: "a.txt", data: text },
      { name: "b.txt", data: "x" },
    ]);
    const [a, b] = centralDirectory(zip);
    expect(a).toMatchObject({ name: "a.txt", method: 8, size: 1000, crc: crc32(Buffer.from(text)) });
    expect(a.compressedSize).toBeLessThan(100);
    // local header → compressed body inflates back to the original
    const nameLength = zip.readUInt16LE(a.offset + 26);
    const body = zip.subarray(a.offset + 30 + nameLength, a.offset + 30 + nameLength + a.compressedSize);
    expect(inflateRawSync(body).toString()).toBe(text);
    expect(b).toMatchObject({ name: "b.txt", method: 0, size: 1, compressedSize: 1, crc: crc32(Buffer.from("x")) });
  });

  it("stores unicode names as UTF-8 with the language-encoding flag", async () => {
    const names = ["proj/données/résumé.md", "proj/日本語/ファイル.ts", "proj/emoji-😀.txt"];
    const zip = await zipBuffer(names.map((name) => ({ name, data: name })));
    for (const entry of centralDirectory(zip)) expect(entry.flags & 0x800).toBe(0x800);
    const extracted = extractWithUnzip(writeArchive(zip));
    for (const name of names) expect(extracted.get(name)!.toString("utf8")).toBe(name);
  });

  it("produces a valid empty archive", async () => {
    const zip = await zipBuffer([]);
    expect(zip.length).toBe(22);
    expect(centralDirectory(zip)).toEqual([]);
  });

  it("streams entry by entry from an async source", async () => {
    async function* source(): AsyncGenerator<ZipEntry> {
      for (let i = 0; i < 3; i++) yield { name: `f${i}.txt`, data: `file ${i}` };
    }
    const reader = zipStream(source()).getReader();
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(chunks.length).toBeGreaterThan(3);
    const extracted = extractWithUnzip(writeArchive(Buffer.concat(chunks)));
    expect(extracted.get("f2.txt")!.toString()).toBe("file 2");
  });

  it("refuses unsafe and duplicate names", async () => {
    await expect(zipBuffer([{ name: "../evil", data: "" }])).rejects.toThrow(/\.\./);
    await expect(zipBuffer([{ name: "/abs", data: "" }])).rejects.toThrow(/relative/);
    await expect(
      zipBuffer([
        { name: "a", data: "" },
        { name: "a", data: "" },
      ]),
    ).rejects.toThrow(/twice/);
  });
});

describe("archive names", () => {
  it("makes safe folder and file names from project names", () => {
    expect(safeArchiveName("My App")).toBe("My App");
    expect(safeArchiveName("../../etc/passwd")).toBe("etc-passwd");
    expect(safeArchiveName("...")).toBe("project");
    expect(safeArchiveName("Café ☕ app")).toBe("Café - app");
    expect(attachmentDisposition('Evil"; name.zip')).toBe(
      `attachment; filename="Evil-name.zip.zip"; filename*=UTF-8''Evil-%20name.zip.zip`,
    );
  });
});
