import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * Workspaces go without holding up the runner: a session's (which may hold 100k files) is removed
 * while other requests are served. Session uids of this file's own (see session-uids.test.ts).
 */
vi.hoisted(() => {
  process.env.RUNNER_SESSION_UID_BASE = "64601";
});

import { startTestRunner, type TestRunner } from "./server-support";

const DIRS = 50;
const FILES_PER_DIR = 1000;
const MAKE_FILES = `
import os
for d in range(${DIRS}):
    os.makedirs(f"tree/d{d}")
    for f in range(${FILES_PER_DIR}):
        with open(f"tree/d{d}/f{f}", "w") as out:
            out.write("x")
print(sum(len(files) for _, _, files in os.walk("tree")))
`;

describe("removing a large session workspace", () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner({ maxSessions: 2 });
  });
  afterAll(() => runner?.close());

  it("serves other requests meanwhile, and the workspace is gone afterwards", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    await runner.call("PUT", `/v1/sessions/${id}/files`, { files: [{ path: "make.py", content: MAKE_FILES }] });
    const made = await runner.call("POST", `/v1/sessions/${id}/commands`, {
      argv: ["python3", "make.py"],
      limits: { wallMs: 60_000, cpuMs: 30_000 },
    });
    expect(made.json).toMatchObject({ status: "OK", stdout: `${DIRS * FILES_PER_DIR}\n` });
    const workspace = runner.sessions.get(id).workspace;
    const tree = path.join(workspace, "tree");

    // The client shares the runner's event loop: an answer can only arrive while the tree is half
    // removed if the removal leaves the loop free.
    const partly = () => {
      if (!existsSync(workspace)) return false;
      try {
        return readdirSync(tree).length < DIRS;
      } catch {
        return true; // the tree went, the workspace not yet
      }
    };
    let deleting = true;
    const answers: { status: number; partly: boolean }[] = [];
    const polling = (async () => {
      while (deleting) {
        const response = await fetch(`${runner.url}/v1/health`);
        await response.text();
        if (deleting) answers.push({ status: response.status, partly: partly() });
      }
    })();
    const deleted = await runner.call("DELETE", `/v1/sessions/${id}`);
    deleting = false;
    await polling;

    expect(deleted.status).toBe(204);
    expect(existsSync(workspace)).toBe(false);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => answer.partly).length).toBeGreaterThan(0);
  });
});
