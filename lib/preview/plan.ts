import type { FileInput } from "@/lib/store/types";

/**
 * What a project's preview is: its stored static files (an index.html at the
 * root, in public/ or in dist/), the output of `npm run build` read back from
 * its runner session, or nothing — with the reason said plainly.
 */

export const STATIC_ROOTS = ["", "public", "dist"] as const;
export const BUILD_OUTPUT_DIRS = ["dist", "build", "out"] as const;

export type PreviewPlan =
  | { mode: "static"; root: string; buildScript: boolean }
  | { mode: "build"; outDir: string }
  | { mode: "needs_build"; reason: string }
  | { mode: "none"; reason: string };

/** The "build" script of a package.json at the project root, if any. */
export function buildScriptOf(files: FileInput[]): string | null {
  const manifest = files.find((f) => f.path === "package.json");
  if (!manifest) return null;
  try {
    const scripts = (JSON.parse(manifest.content) as { scripts?: Record<string, unknown> }).scripts;
    const build = scripts?.build;
    return typeof build === "string" && build.trim() !== "" ? build : null;
  } catch {
    return null;
  }
}

/** Whether package.json declares packages the sandbox (no network) would have to install. */
export function declaresDependencies(files: FileInput[]): boolean {
  const manifest = files.find((f) => f.path === "package.json");
  if (!manifest) return false;
  try {
    const pkg = JSON.parse(manifest.content) as Record<string, unknown>;
    return ["dependencies", "devDependencies"].some(
      (key) => pkg[key] && typeof pkg[key] === "object" && Object.keys(pkg[key] as object).length > 0,
    );
  } catch {
    return false;
  }
}

export function staticRootOf(files: FileInput[]): string | null {
  const paths = new Set(files.map((f) => f.path));
  const root = STATIC_ROOTS.find((dir) => paths.has(dir ? `${dir}/index.html` : "index.html"));
  return root ?? null;
}

/**
 * A finished build wins; then static files; then "build first" when there is
 * a build script; else no preview.
 */
export function planPreview(files: FileInput[], builtOutDir: string | null): PreviewPlan {
  if (builtOutDir) return { mode: "build", outDir: builtOutDir };
  const buildScript = buildScriptOf(files) !== null;
  const root = staticRootOf(files);
  if (root !== null) return { mode: "static", root, buildScript };
  if (buildScript) {
    return {
      mode: "needs_build",
      reason: "This project has a build step: run “Build preview” to build it in the sandbox and preview the output.",
    };
  }
  if (files.length === 0) return { mode: "none", reason: "The project has no files yet." };
  return {
    mode: "none",
    reason:
      "Nothing to preview: there is no index.html (at the root, in public/ or in dist/) and package.json has no \"build\" script.",
  };
}

/** Splits a request's path segments into a project-relative path; null when a segment could leave the folder. */
export function previewRequestPath(segments: string[]): string | null {
  if (segments.length === 0) return "index.html";
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") return null;
    if (/[\\/\u0000-\u001f]/.test(segment)) return null;
  }
  return segments.join("/");
}

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json; charset=utf-8",
  map: "application/json; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  md: "text/plain; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  xml: "application/xml; charset=utf-8",
  webmanifest: "application/manifest+json; charset=utf-8",
  wasm: "application/wasm",
};

export function contentTypeFor(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  const dot = name.lastIndexOf(".");
  return (dot >= 0 && CONTENT_TYPES[name.slice(dot + 1)]) || "application/octet-stream";
}

/**
 * The preview runs the user's code: it is framed with
 * sandbox="allow-scripts allow-forms" (an opaque origin, so no access to the
 * app's cookies, storage or DOM) and may load only its own files.
 */
export const PREVIEW_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "media-src 'self' data:",
  "connect-src 'none'",
  "frame-ancestors 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  // Sandboxed even when opened outside the panel's iframe (a new tab, say).
  "sandbox allow-scripts allow-forms",
].join("; ");

export const PREVIEW_HEADERS: Record<string, string> = {
  "content-security-policy": PREVIEW_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export const previewUrl = (projectId: string, token: string) => `${previewPrefix(projectId, token)}index.html`;

/**
 * Generated apps usually link their assets from the site root ("/app.js"),
 * which inside the preview would point at the app itself. Root-relative
 * src/href/action attributes in HTML and url(/…) in CSS are moved under the
 * preview's own prefix; scheme-relative ("//host") and other URLs are left alone.
 */
export function rebaseRootUrls(text: string, contentType: string, prefix: string): string {
  const base = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (contentType.startsWith("text/html")) {
    return text
      .replace(/(\s(?:src|href|action|poster)\s*=\s*)(["'])\/(?!\/)/gi, `$1$2${base}/`)
      .replace(/(url\(\s*["']?)\/(?!\/)/gi, `$1${base}/`);
  }
  if (contentType.startsWith("text/css")) {
    return text.replace(/(url\(\s*["']?)\/(?!\/)/gi, `$1${base}/`).replace(/(@import\s+["'])\/(?!\/)/gi, `$1${base}/`);
  }
  return text;
}

/** Where a project's preview files live for the holder of `token` (see ./token). */
export const previewPrefix = (projectId: string, token: string) =>
  `/preview/${encodeURIComponent(projectId)}/${encodeURIComponent(token)}/`;
