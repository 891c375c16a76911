import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRunner, type TestRunner } from "./server-support";

// GET /v1/sessions/:id/files?path= — reading a file back (a build's output) from a session.

describe("reading a session's file", () => {
  let runner: TestRunner;
  let id: string;
  beforeAll(async () => {
    runner = await startTestRunner();
    id = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
  });
  afterAll(() => runner?.close());

  const read = (path: string) => runner.call("GET", `/v1/sessions/${id}/files?path=${encodeURIComponent(path)}`);

  it("returns what a command wrote, as base64", async () => {
    await runner.call("POST", `/v1/sessions/${id}/commands`, {
      command: "mkdir -p dist && printf '<h1>built</h1>' > dist/index.html && head -c 3 /dev/zero > dist/zeros.bin",
    });
    const html = await read("dist/index.html");
    expect(html.status).toBe(200);
    expect(html.json).toEqual({ path: "dist/index.html", size: 14, contentBase64: Buffer.from("<h1>built</h1>").toString("base64") });
    const binary = await read("dist/zeros.bin");
    expect(Buffer.from(binary.json.contentBase64, "base64")).toEqual(Buffer.alloc(3));
  });

  it("404 for a missing file, 400 for a bad path, a symlink, a FIFO or a directory", async () => {
    expect((await read("nope.txt")).status).toBe(404);
    expect((await read("missing/dir/x")).status).toBe(404);
    await runner.call("POST", `/v1/sessions/${id}/commands`, {
      command: "ln -s /etc/passwd link && mkfifo fifo && mkdir -p adir && ln -s /etc linkdir",
    });
    for (const path of ["../etc/passwd", "/etc/passwd", "link", "fifo", "adir", "linkdir/passwd"]) {
      const response = await read(path);
      expect(response.status, path).toBe(400);
      expect(JSON.stringify(response.json)).not.toContain("root:");
    }
    expect((await runner.call("GET", `/v1/sessions/${id}/files`)).status).toBe(400);
  });

  it("404 for an unknown session; unsigned requests are refused", async () => {
    const response = await runner.call("GET", `/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA/files?path=a`);
    expect(response.status).toBe(404);
    const unsigned = await fetch(`${runner.url}/v1/sessions/${id}/files?path=dist/index.html`);
    expect(unsigned.status).toBe(401);
  });
});
