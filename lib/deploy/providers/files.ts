import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { DeployFile } from "@/lib/deploy/types";

/** File helpers the deploy clients share: digests, provider-safe names, a gzipped tarball. */

export interface DigestedFile {
  path: string;
  bytes: Buffer;
  sha1: string;
  size: number;
}

export function digestFiles(files: readonly DeployFile[]): DigestedFile[] {
  return files.map((file) => {
    const bytes = Buffer.from(file.content, "utf8");
    return { path: file.path.replace(/^\/+/, ""), bytes, sha1: createHash("sha1").update(bytes).digest("hex"), size: bytes.length };
  });
}

/**
 * A lowercase name made of [a-z0-9-] that every provider accepts for a
 * project/site/service (Vercel: ≤100 chars, no "---"; Netlify subdomains: ≤63).
 */
export function projectSlug(name: string, maxLength = 48): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, maxLength)
    .replace(/-+$/g, "");
  return slug || "autocrea-app";
}

/** Vercel's `projectSettings.framework` slug when package.json makes it obvious, else null (static). */
export function detectFramework(files: readonly DeployFile[]): string | null {
  const pkg = files.find((f) => f.path === "package.json");
  if (!pkg) return null;
  let deps: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(pkg.content) as { dependencies?: Record<string, unknown>; devDependencies?: Record<string, unknown> };
    deps = { ...parsed.devDependencies, ...parsed.dependencies };
  } catch {
    return null;
  }
  const byDependency: [string, string][] = [
    ["next", "nextjs"],
    ["@sveltejs/kit", "sveltekit-1"],
    ["nuxt", "nuxtjs"],
    ["astro", "astro"],
    ["@remix-run/dev", "remix"],
    ["react-scripts", "create-react-app"],
    ["vite", "vite"],
  ];
  return byDependency.find(([dep]) => dep in deps)?.[1] ?? null;
}

/**
 * A gzipped POSIX ustar archive of the files under "./", the format the
 * Railway CLI uploads (`railway up`). Paths longer than 100 bytes use the
 * ustar prefix field (up to 255 bytes in all).
 */
export function gzipTarball(files: readonly DeployFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of digestFiles(files)) {
    blocks.push(tarHeader(`./${file.path}`, file.size));
    blocks.push(file.bytes);
    const pad = (512 - (file.size % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function tarHeader(path: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  let name = path;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const splitAt = findSplit(path);
    if (splitAt < 0) throw new Error(`path too long for a tarball: ${path.slice(0, 80)}…`);
    prefix = path.slice(0, splitAt);
    name = path.slice(splitAt + 1);
  }
  const write = (value: string, offset: number, length: number) => header.write(value, offset, length, "utf8");
  const octal = (value: number, offset: number, length: number) => write(value.toString(8).padStart(length - 1, "0") + "\0", offset, length);
  write(name, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(Math.floor(Date.now() / 1000), 136, 12);
  header.fill(" ", 148, 156);
  write("0", 156, 1);
  write("ustar\0", 257, 6);
  write("00", 263, 2);
  write(prefix, 345, 155);
  let sum = 0;
  for (const byte of header) sum += byte;
  write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return header;
}

/** The "/" at which a long path splits into a ≤155-byte prefix and a ≤100-byte name, or -1. */
function findSplit(path: string): number {
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    if (Buffer.byteLength(path.slice(0, i)) <= 155 && Buffer.byteLength(path.slice(i + 1)) <= 100) return i;
  }
  return -1;
}
