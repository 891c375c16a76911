import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ServerResponse } from "node:http";

/**
 * PyPI through the package gateway, when an upstream simple index is configured
 * (RUNNER_PYPI_UPSTREAM, PEP 691 JSON: pypi.org, devpi and the usual mirrors speak it).
 *
 *   /pypi/simple/<project>/          the project's page, rebuilt from the upstream's: every file that
 *                                    has a sha256 and a wheel or sdist name, pointing back through the
 *                                    door; JSON (PEP 691) or HTML (PEP 503), as the client asks
 *   /pypi/files/<sha256>/<filename>  the file, from the shared cache, or fetched from the URL the
 *                                    upstream gave for that hash, checked against it, then cached
 *
 * Nothing else of the upstream is reachable: no project list, no upload, no other host a page
 * links to unless the page gave its hash. Files are stored by their sha256, so the cache is
 * content-addressed and a file that does not match its hash is never kept or served.
 */

export interface PypiSettings {
  /** Base URL of the upstream simple index, ending with "/". */
  upstream: string;
  /** Where files are kept, by sha256 (shared by every session). */
  cacheDir: string;
  maxResponseBytes: number;
  requestTimeoutMs: number;
}

export class PypiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PypiError";
  }
}

const PROJECT = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const DIST_FILENAME = /^[A-Za-z0-9][A-Za-z0-9._+!-]{0,250}\.(?:whl|tar\.gz|zip|tar\.bz2)$/;
const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
/** Hashes of files that pages served so far named, and where upstream they are (bounded). */
const MAX_KNOWN_FILES = 200_000;

export const PYPI_INDEX_PATH = /^\/pypi\/simple\/([^/?#]+)\/?$/;
export const PYPI_FILE_PATH = /^\/pypi\/files\/([0-9a-f]{64})\/([^/?#]+)$/;

/** PEP 503 normalized name. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

interface IndexFile {
  filename: string;
  sha256: string;
  requiresPython?: string;
  yanked?: boolean | string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class PypiMirror {
  private readonly known = new Map<string, string>();
  private readonly downloads = new Map<string, Promise<void>>();

  constructor(private readonly settings: PypiSettings) {
    mkdirSync(path.join(settings.cacheDir, "tmp"), { recursive: true, mode: 0o700 });
  }

  /** The project's page for the client's Accept header. */
  async projectPage(rawName: string, accept: string | undefined): Promise<{ contentType: string; body: string }> {
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      throw new PypiError(400, "bad_name", "That is not a project name.");
    }
    if (!PROJECT.test(name)) throw new PypiError(400, "bad_name", `"${name}" is not a valid project name.`);
    const project = normalizeProjectName(name);
    const files = await this.upstreamFiles(project);
    if (accept?.includes(JSON_TYPE)) {
      return {
        contentType: JSON_TYPE,
        body: JSON.stringify({
          meta: { "api-version": "1.0" },
          name: project,
          files: files.map((file) => ({
            filename: file.filename,
            url: this.fileUrl(file),
            hashes: { sha256: file.sha256 },
            ...(file.requiresPython ? { "requires-python": file.requiresPython } : {}),
            ...(file.yanked ? { yanked: file.yanked } : {}),
          })),
        }),
      };
    }
    const links = files.map((file) => {
      const attributes = [
        `href="${escapeHtml(`${this.fileUrl(file)}#sha256=${file.sha256}`)}"`,
        ...(file.requiresPython ? [`data-requires-python="${escapeHtml(file.requiresPython)}"`] : []),
        ...(file.yanked ? [`data-yanked="${escapeHtml(typeof file.yanked === "string" ? file.yanked : "")}"`] : []),
      ];
      return `<a ${attributes.join(" ")}>${escapeHtml(file.filename)}</a><br/>`;
    });
    return {
      contentType: "text/html; charset=utf-8",
      body: `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for ${escapeHtml(project)}</title></head><body>\n${links.join("\n")}\n</body></html>\n`,
    };
  }

  /** Streams a file named on a page served earlier, from the cache or (checked, then cached) from upstream. */
  async sendFile(sha256: string, filename: string, res: ServerResponse, head: boolean): Promise<void> {
    if (!SHA256.test(sha256) || !DIST_FILENAME.test(filename)) throw new PypiError(400, "bad_file", "That is not a package file.");
    const cached = path.join(this.settings.cacheDir, sha256);
    if (!existsSync(cached)) {
      let download = this.downloads.get(sha256);
      if (!download) {
        download = this.download(sha256).finally(() => this.downloads.delete(sha256));
        this.downloads.set(sha256, download);
      }
      await download;
    }
    const { size } = await stat(cached);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
    if (head) {
      res.end();
      return;
    }
    await pipeline(createReadStream(cached), res);
  }

  private fileUrl(file: IndexFile): string {
    return `/pypi/files/${file.sha256}/${encodeURIComponent(file.filename)}`;
  }

  private async fetchUpstream(url: string, accept: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept, "user-agent": "autocrea-package-gateway" },
        redirect: "follow",
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
    } catch (error) {
      throw new PypiError(502, "upstream_unreachable", `The PyPI upstream could not be reached (${(error as Error).message}).`);
    }
    const length = Number(response.headers.get("content-length"));
    if (Number.isFinite(length) && length > this.settings.maxResponseBytes) {
      await response.body?.cancel();
      throw new PypiError(502, "too_large", `The file is larger than the gateway's limit of ${this.settings.maxResponseBytes} bytes.`);
    }
    return response;
  }

  private async upstreamFiles(project: string): Promise<IndexFile[]> {
    const pageUrl = new URL(`${encodeURIComponent(project)}/`, this.settings.upstream);
    const response = await this.fetchUpstream(pageUrl.href, JSON_TYPE);
    if (response.status === 404) {
      await response.body?.cancel();
      throw new PypiError(404, "not_found", `No project "${project}" on the PyPI upstream.`);
    }
    if (!response.ok || !response.headers.get("content-type")?.includes("json")) {
      await response.body?.cancel();
      throw new PypiError(
        502,
        "upstream_error",
        response.ok
          ? "The PyPI upstream does not answer in JSON (PEP 691); configure one that does."
          : `The PyPI upstream answered HTTP ${response.status}.`,
      );
    }
    const text = await response.text();
    if (text.length > this.settings.maxResponseBytes) throw new PypiError(502, "too_large", "The project page is too large.");
    let page: { files?: unknown };
    try {
      page = JSON.parse(text) as { files?: unknown };
    } catch {
      throw new PypiError(502, "upstream_error", "The PyPI upstream sent a page that is not JSON.");
    }
    const files: IndexFile[] = [];
    for (const raw of Array.isArray(page.files) ? page.files : []) {
      const entry = raw as { filename?: unknown; url?: unknown; hashes?: { sha256?: unknown }; "requires-python"?: unknown; yanked?: unknown };
      const sha256 = typeof entry.hashes?.sha256 === "string" ? entry.hashes.sha256.toLowerCase() : "";
      if (typeof entry.filename !== "string" || !DIST_FILENAME.test(entry.filename) || !SHA256.test(sha256) || typeof entry.url !== "string") continue;
      let url: URL;
      try {
        url = new URL(entry.url, pageUrl);
      } catch {
        continue;
      }
      if (url.protocol !== "https:" && url.protocol !== "http:") continue;
      url.hash = "";
      this.remember(sha256, url.href);
      files.push({
        filename: entry.filename,
        sha256,
        requiresPython: typeof entry["requires-python"] === "string" ? entry["requires-python"] : undefined,
        yanked: typeof entry.yanked === "string" || entry.yanked === true ? entry.yanked : undefined,
      });
    }
    return files;
  }

  private remember(sha256: string, url: string): void {
    if (this.known.size >= MAX_KNOWN_FILES && !this.known.has(sha256)) {
      this.known.delete(this.known.keys().next().value!);
    }
    this.known.set(sha256, url);
  }

  private async download(sha256: string): Promise<void> {
    const url = this.known.get(sha256);
    if (!url) throw new PypiError(404, "unknown_file", "That file was not on any project page read through the gateway; read the page first.");
    const response = await this.fetchUpstream(url, "*/*");
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new PypiError(502, "upstream_error", `The PyPI upstream answered HTTP ${response.status} for a file.`);
    }
    const temporary = path.join(this.settings.cacheDir, "tmp", `${sha256}.${randomBytes(6).toString("hex")}`);
    const hash = createHash("sha256");
    let bytes = 0;
    const limit = this.settings.maxResponseBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > limit) return callback(new PypiError(502, "too_large", `The file is larger than the gateway's limit of ${limit} bytes.`));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as never), counter, createWriteStream(temporary, { mode: 0o600 }));
      if (hash.digest("hex") !== sha256) {
        throw new PypiError(502, "integrity", "The file from the PyPI upstream does not match the hash its project page gave; it was not kept.");
      }
      await rename(temporary, path.join(this.settings.cacheDir, sha256));
    } catch (error) {
      await rm(temporary, { force: true });
      if (error instanceof PypiError) throw error;
      throw new PypiError(502, "upstream_error", `Fetching the file failed (${(error as Error).message}).`);
    }
  }
}
