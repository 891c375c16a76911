import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { request as appRequest, signUp as signUpUser, withTestApp } from "./support/app";

/**
 * The workspace APIs (files, versions, restore, download) through their
 * route handlers with real Requests, against a SQLite store in a temp dir,
 * signed in through the real local-account register handler.
 */

const app = withTestApp();

let projectsRoute: typeof import("@/app/api/projects/route");
let filesRoute: typeof import("@/app/api/projects/[id]/files/route");
let contentRoute: typeof import("@/app/api/projects/[id]/files/content/route");
let versionsRoute: typeof import("@/app/api/projects/[id]/versions/route");
let versionRoute: typeof import("@/app/api/projects/[id]/versions/[n]/route");
let restoreRoute: typeof import("@/app/api/projects/[id]/versions/[n]/restore/route");
let downloadRoute: typeof import("@/app/api/projects/[id]/download/route");

beforeAll(async () => {
  projectsRoute = await import("@/app/api/projects/route");
  filesRoute = await import("@/app/api/projects/[id]/files/route");
  contentRoute = await import("@/app/api/projects/[id]/files/content/route");
  versionsRoute = await import("@/app/api/projects/[id]/versions/route");
  versionRoute = await import("@/app/api/projects/[id]/versions/[n]/route");
  restoreRoute = await import("@/app/api/projects/[id]/versions/[n]/restore/route");
  downloadRoute = await import("@/app/api/projects/[id]/download/route");
});

function request(method: string, urlPath: string, body?: unknown, cookie?: string, origin?: string): Request {
  return appRequest(method, urlPath, { body, cookie, origin });
}

async function signUp(): Promise<string> {
  return (await signUpUser()).cookie;
}

async function newProject(cookie: string, name = `App ${Date.now()}-${Math.random()}`): Promise<string> {
  const response = await projectsRoute.POST(request("POST", "/api/projects", { name }, cookie), undefined);
  expect(response.status).toBe(201);
  return (await response.json()).project.id;
}

const ctx = (id: string) => ({ params: Promise.resolve({ id }) });
const vctx = (id: string, n: string | number) => ({ params: Promise.resolve({ id, n: String(n) }) });

async function save(cookie: string, id: string, body: unknown): Promise<Response> {
  return filesRoute.PUT(request("PUT", `/api/projects/${id}/files`, body, cookie), ctx(id));
}

async function saveOk(cookie: string, id: string, body: unknown): Promise<{ number: number; message: string }> {
  const response = await save(cookie, id, body);
  expect(response.status).toBe(200);
  return (await response.json()).version;
}

async function listFiles(cookie: string, id: string) {
  const response = await filesRoute.GET(request("GET", `/api/projects/${id}/files`, undefined, cookie), ctx(id));
  expect(response.status).toBe(200);
  return (await response.json()) as {
    files: Array<{ path: string; language: string; size: number; updatedAt: number; content?: string }>;
    latestVersion: number | null;
  };
}

async function readContent(cookie: string, id: string, filePath: string): Promise<Response> {
  return contentRoute.GET(
    request("GET", `/api/projects/${id}/files/content?path=${encodeURIComponent(filePath)}`, undefined, cookie),
    ctx(id),
  );
}

async function expectError(response: Response, status: number, code?: string) {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(typeof body.message).toBe("string");
  if (code) expect(body.error).toBe(code);
  return body as { error: string; message: string };
}

describe("files API", () => {
  it("lists files without content, with the latest version number", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    expect(await listFiles(cookie, id)).toEqual({ files: [], latestVersion: null });

    await saveOk(cookie, id, {
      files: [
        { path: "src/index.ts", content: "export {};\n" },
        { path: "README.md", content: "# Hi" },
      ],
    });
    const listed = await listFiles(cookie, id);
    expect(listed.latestVersion).toBe(1);
    expect(listed.files.map((f) => f.path)).toEqual(["README.md", "src/index.ts"]);
    expect(listed.files[1]).toMatchObject({ language: "typescript", size: 11 });
    expect(listed.files[1].content).toBeUndefined();
  });

  it("saves as new versions, with the given message or a generated one", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    const v1 = await saveOk(cookie, id, { files: [{ path: "a.ts", content: "1" }] });
    const v2 = await saveOk(cookie, id, { files: [{ path: "a.ts", content: "2" }], message: "Second" });
    expect(v1).toMatchObject({ number: 1, message: "Edit a.ts" });
    expect(v2).toMatchObject({ number: 2, message: "Second", parent: 1 });
    const file = (await (await readContent(cookie, id, "a.ts")).json()).file;
    expect(file).toEqual({ path: "a.ts", language: "typescript", size: 1, content: "2", unviewable: null });
  });

  it("renames in one save (delete + write), by content or server-side", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    await saveOk(cookie, id, {
      files: [
        { path: "old.js", content: "x" },
        { path: "b.css", content: "a{}" },
      ],
    });
    const v2 = await saveOk(cookie, id, { files: [{ path: "lib/new.js", content: "x" }], deletes: ["old.js"] });
    expect(v2.number).toBe(2);
    expect((await listFiles(cookie, id)).files.map((f) => f.path)).toEqual(["b.css", "lib/new.js"]);

    const v3 = await saveOk(cookie, id, { renames: [{ from: "b.css", to: "styles/b.css" }] });
    expect(v3.number).toBe(3);
    expect((await listFiles(cookie, id)).files.map((f) => f.path)).toEqual(["lib/new.js", "styles/b.css"]);
    expect((await (await readContent(cookie, id, "styles/b.css")).json()).file.content).toBe("a{}");
    await expectError(await save(cookie, id, { renames: [{ from: "missing", to: "x" }] }), 404);
  });

  it("deletes files", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    await saveOk(cookie, id, {
      files: [
        { path: "a.txt", content: "a" },
        { path: "b.txt", content: "b" },
      ],
    });
    await saveOk(cookie, id, { deletes: ["a.txt"] });
    expect((await listFiles(cookie, id)).files.map((f) => f.path)).toEqual(["b.txt"]);
    await expectError(await readContent(cookie, id, "a.txt"), 404, "not_found");
  });

  it("flags binary and too-large files instead of sending their content", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    const large = "x".repeat(300 * 1024);
    await saveOk(cookie, id, {
      files: [
        { path: "img.png", content: "\u0089PNG\r\n\u001a\n\u0000\u0000" },
        { path: "broken.txt", content: "bad \ud800 surrogate" },
        { path: "big.txt", content: large },
      ],
    });
    const png = (await (await readContent(cookie, id, "img.png")).json()).file;
    expect(png).toMatchObject({ path: "img.png", content: null, unviewable: "binary" });
    const broken = (await (await readContent(cookie, id, "broken.txt")).json()).file;
    expect(broken).toMatchObject({ content: null, unviewable: "binary" });
    const big = (await (await readContent(cookie, id, "big.txt")).json()).file;
    expect(big).toMatchObject({ content: null, unviewable: "too_large", size: large.length });
  });

  it("answers 400 for bad paths and bodies, and writes nothing", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    for (const bad of ["../x", "/etc/passwd", "a/../../b", "C:/win", "nul\u0000byte"]) {
      const body = await expectError(await save(cookie, id, { files: [{ path: bad, content: "" }] }), 400);
      expect(body.message.length).toBeGreaterThan(0);
    }
    await expectError(await save(cookie, id, { deletes: ["../x"] }), 400);
    await expectError(await save(cookie, id, {}), 400, "invalid_request");
    await expectError(await save(cookie, id, "{not json"), 400, "invalid_json");
    await expectError(await readContent(cookie, id, "../x"), 400);
    expect(await listFiles(cookie, id)).toEqual({ files: [], latestVersion: null });
  });

  it("says what is wrong with a path: too long is not missing, and invisible characters are named", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    const long = await expectError(await readContent(cookie, id, "a".repeat(2000)), 400, "invalid_request");
    expect(long.message).toBe("path is too long (at most 1024 characters).");
    const tooLongToSave = await expectError(await save(cookie, id, { files: [{ path: "a".repeat(2000), content: "" }] }), 400);
    expect(tooLongToSave.message).toBe("files.0.path: path is too long (at most 512 characters).");

    await saveOk(cookie, id, { files: [{ path: "a.txt", content: "one" }] });
    const spoof = "invoice\u202Etxt.exe";
    for (const response of [
      await save(cookie, id, { files: [{ path: spoof, content: "" }] }),
      await save(cookie, id, { deletes: [spoof] }),
      await save(cookie, id, { renames: [{ from: "a.txt", to: spoof }] }),
      await readContent(cookie, id, spoof),
    ]) {
      const body = await expectError(response, 400);
      expect(body.message).toContain("invisible formatting character (U+202E)");
    }
    const after = await listFiles(cookie, id);
    expect(after.latestVersion).toBe(1);
    expect(after.files.map((f) => f.path)).toEqual(["a.txt"]);
  });

  it("answers 404 for another user's project and 401 signed out", async () => {
    const owner = await signUp();
    const other = await signUp();
    const id = await newProject(owner);
    await saveOk(owner, id, { files: [{ path: "secret.txt", content: "s" }] });

    await expectError(
      await filesRoute.GET(request("GET", `/api/projects/${id}/files`, undefined, other), ctx(id)),
      404,
    );
    await expectError(await save(other, id, { files: [{ path: "x", content: "" }] }), 404);
    await expectError(await readContent(other, id, "secret.txt"), 404);
    await expectError(
      await versionsRoute.GET(request("GET", `/api/projects/${id}/versions`, undefined, other), ctx(id)),
      404,
    );
    await expectError(await versionRoute.GET(request("GET", "/", undefined, other), vctx(id, 1)), 404);
    await expectError(await restoreRoute.POST(request("POST", "/", undefined, other), vctx(id, 1)), 404);
    await expectError(await downloadRoute.GET(request("GET", "/", undefined, other), ctx(id)), 404);
    await expectError(await filesRoute.GET(request("GET", "/", undefined, other), ctx("not-an-id")), 404);
    await expectError(await filesRoute.GET(request("GET", `/api/projects/${id}/files`), ctx(id)), 401);
    // the owner's file is untouched
    expect((await listFiles(owner, id)).latestVersion).toBe(1);
  });

  it("refuses a cross-site save (CSRF)", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    const response = await filesRoute.PUT(
      request(
        "PUT",
        `/api/projects/${id}/files`,
        { files: [{ path: "a", content: "" }] },
        cookie,
        "https://evil.example",
      ),
      ctx(id),
    );
    await expectError(response, 403, "csrf");
  });
});

describe("versions API", () => {
  it("lists newest first, returns a version's files and restores as a new version", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    await saveOk(cookie, id, { files: [{ path: "a.txt", content: "one" }], message: "First" });
    await saveOk(cookie, id, {
      files: [
        { path: "a.txt", content: "two" },
        { path: "b.txt", content: "new" },
      ],
      message: "Second",
    });

    const listResponse = await versionsRoute.GET(request("GET", "/", undefined, cookie), ctx(id));
    const { versions } = await listResponse.json();
    expect(versions.map((v: { number: number; message: string }) => [v.number, v.message])).toEqual([
      [2, "Second"],
      [1, "First"],
    ]);
    expect(versions[0].fileCount).toBe(2);

    const v1 = await (await versionRoute.GET(request("GET", "/", undefined, cookie), vctx(id, 1))).json();
    expect(v1.version.number).toBe(1);
    expect(v1.files).toEqual([{ path: "a.txt", content: "one" }]);

    const restored = await restoreRoute.POST(request("POST", "/", undefined, cookie), vctx(id, 1));
    expect(restored.status).toBe(201);
    const { version } = await restored.json();
    expect(version.number).toBe(3);
    const files = await listFiles(cookie, id);
    expect(files.latestVersion).toBe(3);
    expect(files.files.map((f) => f.path)).toEqual(["a.txt"]);
    expect((await (await readContent(cookie, id, "a.txt")).json()).file.content).toBe("one");
  });

  it("answers 404 for an unknown version and 400 for a malformed number", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    await saveOk(cookie, id, { files: [{ path: "a.txt", content: "one" }] });
    await expectError(await versionRoute.GET(request("GET", "/", undefined, cookie), vctx(id, 9)), 404);
    await expectError(await restoreRoute.POST(request("POST", "/", undefined, cookie), vctx(id, 9)), 404);
    await expectError(await versionRoute.GET(request("GET", "/", undefined, cookie), vctx(id, "abc")), 400);
    await expectError(await restoreRoute.POST(request("POST", "/", undefined, cookie), vctx(id, "-1")), 400);
  });

  it("reads version numbers as plain decimal digits only: 0x1 or 1e0 is not version 1", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie);
    await saveOk(cookie, id, { files: [{ path: "a.txt", content: "one" }] });
    expect((await versionRoute.GET(request("GET", "/", undefined, cookie), vctx(id, "1"))).status).toBe(200);
    for (const n of ["0x1", "1e0", "01", "1.0", "+1", " 1", "0b1"]) {
      const body = await expectError(await versionRoute.GET(request("GET", "/", undefined, cookie), vctx(id, n)), 400, "invalid_request");
      expect(body.message).toBe("Version number must be a positive whole number written in digits (like 3).");
      await expectError(await restoreRoute.POST(request("POST", "/", undefined, cookie), vctx(id, n)), 400, "invalid_request");
    }
    expect((await listFiles(cookie, id)).latestVersion).toBe(1);
  });
});

describe("download", () => {
  it("streams a ZIP of the files under a folder named after the project", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie, "..Todo App ü");
    const files = [
      { path: "package.json", content: '{"name":"todo"}\n' },
      { path: "src/components/List.tsx", content: "export function List() { return null; }\n".repeat(50) },
      { path: "docs/ü-notes.md", content: "# Notes ✓\n" },
      { path: "empty.txt", content: "" },
    ];
    await saveOk(cookie, id, { files });

    const response = await downloadRoute.GET(
      request("GET", `/api/projects/${id}/download`, undefined, cookie),
      ctx(id),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    const disposition = response.headers.get("content-disposition")!;
    expect(disposition).toMatch(/^attachment; filename="Todo-App.zip"; filename\*=UTF-8''/);
    const top = "Todo App ü";
    expect(disposition).toContain(encodeURIComponent(`${top}.zip`));

    const zipPath = path.join(app.dataDir, `${id}.zip`);
    writeFileSync(zipPath, Buffer.from(await response.arrayBuffer()));
    const script =
      "import sys,zipfile,json\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n" +
      "print(json.dumps({i.filename: z.read(i).decode('utf-8') for i in z.infolist() if '/.git/' not in i.filename}))";
    const entries = JSON.parse(execFileSync("python3", ["-c", script, zipPath]).toString("utf8"));
    expect(entries).toEqual(Object.fromEntries(files.map((f) => [`${top}/${f.path}`, f.content])));
    expect(execFileSync("unzip", ["-t", zipPath]).toString()).toContain("No errors detected");
  });

  it("gives an empty project a valid empty ZIP", async () => {
    const cookie = await signUp();
    const id = await newProject(cookie, "Empty");
    const response = await downloadRoute.GET(request("GET", "/", undefined, cookie), ctx(id));
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.readUInt32LE(bytes.length - 22)).toBe(0x06054b50);
    expect(bytes.readUInt16LE(bytes.length - 12)).toBe(0);
  });
});
