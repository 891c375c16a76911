import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRunner, type StartedRunner } from "../e2e/support/runner";
import { openTestApp, request as appRequest, signUp } from "./support/app";

/**
 * The preview: GET /api/projects/:id/preview (what can be shown), the
 * serving route /preview/:projectId/:token/… and POST …/preview/build, through
 * their route handlers against a SQLite store and the real sandbox-runner.
 */

const secret = randomBytes(32).toString("hex");
let runner: StartedRunner;
let cleanup: () => Promise<void>;

let statusRoute: typeof import("@/app/api/projects/[id]/preview/route");
let buildRoute: typeof import("@/app/api/projects/[id]/preview/build/route");
let serveRoute: typeof import("@/app/preview/[projectId]/[[...path]]/route");
let projectsRoute: typeof import("@/app/api/projects/route");
let token: typeof import("@/lib/preview/token");
let plan: typeof import("@/lib/preview/plan");

beforeAll(async () => {
  runner = await startRunner(secret);
  cleanup = await openTestApp({ RUNNER_URL: runner.url, RUNNER_SECRET: secret });
  statusRoute = await import("@/app/api/projects/[id]/preview/route");
  buildRoute = await import("@/app/api/projects/[id]/preview/build/route");
  serveRoute = await import("@/app/preview/[projectId]/[[...path]]/route");
  projectsRoute = await import("@/app/api/projects/route");
  token = await import("@/lib/preview/token");
  plan = await import("@/lib/preview/plan");
}, 60_000);

afterAll(async () => {
  await cleanup?.();
  await runner?.stop();
});

function request(method: string, urlPath: string, cookie?: string, body?: unknown): Request {
  return appRequest(method, urlPath, { cookie, body });
}

async function projectWithFiles(
  owner: { cookie: string; userId: string },
  files: { path: string; content: string }[],
): Promise<string> {
  const response = await projectsRoute.POST(
    request("POST", "/api/projects", owner.cookie, { name: `pv-${Math.random().toString(36).slice(2, 10)}` }),
    undefined,
  );
  const { project } = (await response.json()) as { project: { id: string } };
  if (files.length > 0) {
    const store = await (await import("@/lib/store")).getStore();
    await store.saveFiles(owner.userId, project.id, { files, message: "seed" });
  }
  return project.id;
}

const idParams = (id: string) => ({ params: Promise.resolve({ id }) });

async function previewStatus(cookie: string, projectId: string) {
  const response = await statusRoute.GET(request("GET", `/api/projects/${projectId}/preview`, cookie), idParams(projectId));
  return { response, body: (await response.json()) as { plan: { mode: string; reason?: string; root?: string }; url: string | null; buildScript: boolean; error?: string } };
}

/** GET a preview URL through the serving route, parsing its path like Next's catch-all segment does. */
async function serve(urlPath: string, cookie?: string): Promise<Response> {
  const match = /^\/preview\/([^/]+)\/?(.*)$/.exec(urlPath)!;
  const rest = match[2] ? match[2].split("/").map(decodeURIComponent) : [];
  return serveRoute.GET(request("GET", urlPath, cookie), {
    params: Promise.resolve({ projectId: decodeURIComponent(match[1]!), path: rest.length ? rest : undefined }),
  });
}

const STATIC_SITE = [
  { path: "public/index.html", content: '<!doctype html><link rel="stylesheet" href="/styles.css"><script src="app.js"></script><h1>Hi</h1>' },
  { path: "public/styles.css", content: "body { background: url(/bg.png); }" },
  { path: "public/app.js", content: "document.title = 'ok';" },
  { path: "public/data/info.json", content: '{"a":1}' },
  { path: "server.js", content: "require('http')" },
];

describe("static preview", () => {
  it("serves the owner's files with their content types, the CSP and nosniff", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, STATIC_SITE);
    const { response, body } = await previewStatus(owner.cookie, projectId);
    expect(response.status).toBe(200);
    expect(body.plan).toEqual({ mode: "static", root: "public", buildScript: false });
    expect(body.url).toMatch(new RegExp(`^/preview/${projectId}/[^/]+/index\\.html$`));
    const prefix = body.url!.replace(/index\.html$/, "");

    const html = await serve(body.url!);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = html.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'none'", "connect-src 'none'", "frame-ancestors 'self'", "base-uri 'none'", "form-action 'none'", "sandbox allow-scripts allow-forms"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/allow-same-origin/);
    expect(html.headers.get("x-content-type-options")).toBe("nosniff");
    // Root-relative URLs are moved under the preview's prefix; relative ones already resolve there.
    expect(await html.text()).toBe(
      `<!doctype html><link rel="stylesheet" href="${prefix}styles.css"><script src="app.js"></script><h1>Hi</h1>`,
    );

    const css = await serve(`${prefix}styles.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toBe(`body { background: url(${prefix}bg.png); }`);
    const js = await serve(`${prefix}app.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("content-security-policy")).toBe(csp);
    const json = await serve(`${prefix}data/info.json`);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await json.text()).toBe('{"a":1}');

    // Only the static root is served: server code stays out of reach.
    expect((await serve(`${prefix}server.js`)).status).toBe(404);
    expect((await serve(`${prefix}missing.css`)).status).toBe(404);
  });

  it("refuses a path that climbs out with ..", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, STATIC_SITE);
    const { body } = await previewStatus(owner.cookie, projectId);
    const prefix = body.url!.replace(/index\.html$/, "");
    for (const path of [`${prefix}..%2Fserver.js`, `${prefix}../server.js`, `${prefix}data/%2e%2e/%2e%2e/server.js`]) {
      const response = await serve(path);
      expect(response.status, path).toBe(400);
      expect(await response.text()).not.toContain("require");
    }
    // Also without a token, on the cookie path.
    expect((await serve(`/preview/${projectId}/x/../server.js`, owner.cookie)).status).toBe(400);
  });

  it("redirects the owner's cookie-authenticated request to a tokened URL; anyone else gets 404", async () => {
    const owner = await signUp();
    const intruder = await signUp();
    const projectId = await projectWithFiles(owner, STATIC_SITE);

    const redirect = await serve(`/preview/${projectId}`, owner.cookie);
    expect(redirect.status).toBe(307);
    const location = redirect.headers.get("location")!;
    expect(location).toMatch(new RegExp(`^/preview/${projectId}/[^/]+/index\\.html$`));
    expect((await serve(location)).status).toBe(200);

    expect((await serve(`/preview/${projectId}`, intruder.cookie)).status).toBe(404);
    expect((await serve(`/preview/${projectId}`)).status).toBe(404);
    expect((await previewStatus(intruder.cookie, projectId)).response.status).toBe(404);
    // A token the intruder could get for themself does not open someone else's project.
    const own = token.issuePreviewToken(intruder.userId, projectId);
    expect((await serve(`/preview/${projectId}/${own}/index.html`)).status).toBe(404);
    // A token for one project does not open another, and a tampered or expired one is refused.
    const otherProject = await projectWithFiles(owner, STATIC_SITE);
    const forOther = token.issuePreviewToken(owner.userId, otherProject);
    expect((await serve(`/preview/${projectId}/${forOther}/index.html`)).status).toBe(404);
    const expired = token.issuePreviewToken(owner.userId, projectId, Date.now() - 2 * token.PREVIEW_TOKEN_TTL_SECONDS * 1000);
    expect(token.verifyPreviewToken(expired, projectId)).toBeNull();
    const tampered = location.split("/")[3]!.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    expect((await serve(`/preview/${projectId}/${tampered}/index.html`)).status).toBe(404);
  });

  it("says why there is no preview", async () => {
    const owner = await signUp();
    const empty = await projectWithFiles(owner, []);
    expect((await previewStatus(owner.cookie, empty)).body.plan).toEqual({ mode: "none", reason: "The project has no files yet." });

    const backendOnly = await projectWithFiles(owner, [
      { path: "server.js", content: "1" },
      { path: "package.json", content: '{"scripts":{"start":"node server.js"}}' },
    ]);
    const { body } = await previewStatus(owner.cookie, backendOnly);
    expect(body.plan.mode).toBe("none");
    expect(body.plan.reason).toMatch(/no index\.html.*no "build" script/);
    expect(body.url).toBeNull();
    const build = await buildRoute.POST(request("POST", `/api/projects/${backendOnly}/preview/build`, owner.cookie), idParams(backendOnly));
    expect(build.status).toBe(409);
    expect((await build.json()).error).toBe("no_build_script");
  });
});

describe("build preview (real runner)", () => {
  const BUILD_JS = `
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.html", "<h1>" + fs.readFileSync("src/title.txt", "utf8").trim() + "</h1>");
fs.writeFileSync("dist/app.js", "console.log('built')");
console.log("built dist/");
`;

  it("runs npm run build in the session and serves the output folder", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, [
      { path: "package.json", content: '{"name":"b","scripts":{"build":"node build.js"}}' },
      { path: "build.js", content: BUILD_JS },
      { path: "src/title.txt", content: "Built in the sandbox\n" },
    ]);
    const before = await previewStatus(owner.cookie, projectId);
    expect(before.body.plan.mode).toBe("needs_build");
    expect(before.body.buildScript).toBe(true);
    expect(before.body.url).toBeNull();

    const response = await buildRoute.POST(request("POST", `/api/projects/${projectId}/preview/build`, owner.cookie), idParams(projectId));
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result).toMatchObject({ ok: true, status: "OK", exitCode: 0, outDir: "dist", problem: null });
    expect(result.stdout).toContain("built dist/");

    const after = await previewStatus(owner.cookie, projectId);
    expect(after.body.plan).toEqual({ mode: "build", outDir: "dist" });
    const page = await serve(after.body.url!);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toBe("<h1>Built in the sandbox</h1>");
    const js = await serve(after.body.url!.replace(/index\.html$/, "app.js"));
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toBe("console.log('built')");
  });

  it("reports a failed build with its output, a failed install with npm's reason, and a dependency from outside the registry", async () => {
    const owner = await signUp();
    const failing = await projectWithFiles(owner, [
      { path: "package.json", content: '{"scripts":{"build":"node -e \\"console.error(\'syntax trouble\'); process.exit(3)\\""}}' },
    ]);
    const result = await (await buildRoute.POST(request("POST", `/api/projects/${failing}/preview/build`, owner.cookie), idParams(failing))).json();
    expect(result).toMatchObject({ ok: false, exitCode: 3, outDir: null });
    expect(result.stderr).toContain("syntax trouble");
    expect(result.problem).toBe("The build failed (exit code 3).");
    expect((await previewStatus(owner.cookie, failing)).body.plan.mode).toBe("needs_build");

    // Packages come through the runner's package gateway: one that does not exist fails the install, with npm's reason.
    const missingPackage = await projectWithFiles(owner, [
      { path: "package.json", content: '{"scripts":{"build":"true"},"dependencies":{"autocrea-no-such-package-7f3c9e2a":"1.0.0"}}' },
    ]);
    const missing = await (await buildRoute.POST(request("POST", `/api/projects/${missingPackage}/preview/build`, owner.cookie), idParams(missingPackage))).json();
    expect(missing.ok).toBe(false);
    expect(missing.problem).toMatch(/^Installing the packages failed \(npm install, exit code 1\)/);
    expect(missing.stderr).toMatch(/404/);

    // A dependency from outside the registry is named before anything runs.
    const fromGit = await projectWithFiles(owner, [
      { path: "package.json", content: '{"scripts":{"build":"true"},"dependencies":{"lib":"git+https://example.invalid/lib.git"}}' },
    ]);
    const refused = await buildRoute.POST(request("POST", `/api/projects/${fromGit}/preview/build`, owner.cookie), idParams(fromGit));
    expect(refused.status).toBe(422);
    expect((await refused.json()).message).toMatch(/lib \(git\+https:\/\/example\.invalid\/lib\.git\) from outside the package registry/);
  });

  it("limits how often one user builds", async () => {
    const owner = await signUp();
    const projectId = await projectWithFiles(owner, [{ path: "index.html", content: "x" }]);
    const PREVIEW_BUILD_LIMIT = (await import("@/lib/rate-limit")).RATE_LIMITS.previewBuild;
    const build = () => buildRoute.POST(request("POST", `/api/projects/${projectId}/preview/build`, owner.cookie), idParams(projectId));
    for (let i = 0; i < PREVIEW_BUILD_LIMIT.max; i++) expect((await build()).status).toBe(409);
    const limited = await build();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("another user's build is a 404", async () => {
    const owner = await signUp();
    const intruder = await signUp();
    const projectId = await projectWithFiles(owner, [{ path: "package.json", content: '{"scripts":{"build":"true"}}' }]);
    const response = await buildRoute.POST(request("POST", `/api/projects/${projectId}/preview/build`, intruder.cookie), idParams(projectId));
    expect(response.status).toBe(404);
  });
});

describe("preview path rules", () => {
  it("maps request segments to a file path and refuses escapes", () => {
    expect(plan.previewRequestPath([])).toBe("index.html");
    expect(plan.previewRequestPath(["assets", "app.js"])).toBe("assets/app.js");
    for (const bad of [[".."], ["a", ".."], ["."], ["a/b"], ["a\\b"], [""], ["a\u0000"]]) {
      expect(plan.previewRequestPath(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it("leaves scheme-relative and absolute URLs alone", () => {
    const html = `<img src="//cdn.example/x.png"><a href="https://example.com/">x</a><script src='/a.js'></script>`;
    expect(plan.rebaseRootUrls(html, "text/html; charset=utf-8", "/preview/p/t/")).toBe(
      `<img src="//cdn.example/x.png"><a href="https://example.com/">x</a><script src='/preview/p/t/a.js'></script>`,
    );
  });
});
