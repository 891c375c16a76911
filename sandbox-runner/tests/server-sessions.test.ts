import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// Session uids of this file's own: runners of other test processes on the machine take theirs from
// the default range at the same time, and a uid one of their processes has is not handed out.
vi.hoisted(() => {
  process.env.RUNNER_SESSION_UID_BASE = "64401";
});

import { leakedCgroups } from "../src/sandbox/cgroup";
import { startTestRunner, TerminalClient, type TestRunner } from "./server-support";

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe("sessions", () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner({ maxSessions: 3 });
  });
  afterAll(() => runner?.close());

  it("keeps files between requests; commands read them, /tmp is per process", async () => {
    const created = await runner.call("POST", "/v1/sessions", { userId: "u1" });
    expect(created.status).toBe(201);
    const id: string = created.json.id;

    const write = await runner.call("PUT", `/v1/sessions/${id}/files`, {
      files: [
        { path: "src/data.txt", content: "alpha\nbeta\n" },
        { path: "count.sh", content: "wc -l < src/data.txt" },
      ],
    });
    expect(write).toEqual({ status: 200, json: { written: 2, deleted: 0 } });

    const cat = await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "cat src/data.txt; id -u" });
    expect(cat.status).toBe(200);
    expect(cat.json).toMatchObject({ status: "OK", exitCode: 0 });
    expect(cat.json.stdout).toMatch(/^alpha\nbeta\n\d+\n$/);
    expect(cat.json.stdout).not.toMatch(/^0$/m);

    const argv = await runner.call("POST", `/v1/sessions/${id}/commands`, { argv: ["sh", "count.sh"] });
    expect(argv.json).toMatchObject({ status: "OK", stdout: "2\n" });

    // A file a command writes to the workspace is seen by the next command; one in /tmp is not.
    await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "echo made > out.txt; echo t > /tmp/t" });
    const next = await runner.call("POST", `/v1/sessions/${id}/commands`, {
      command: "cat out.txt; ls /tmp | wc -l",
    });
    expect(next.json.stdout).toBe("made\n0\n");

    const stdin = await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "tr a-z A-Z", stdin: "shout" });
    expect(stdin.json.stdout).toBe("SHOUT");

    const failing = await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "exit 3" });
    expect(failing.json).toMatchObject({ status: "RE", exitCode: 3 });

    const deleted = await runner.call("PUT", `/v1/sessions/${id}/files`, { files: [], deletes: ["src", "out.txt"] });
    expect(deleted.json).toEqual({ written: 0, deleted: 2 });
    const listing = await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "ls -A" });
    expect(listing.json.stdout).toBe("count.sh\n");

    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("a delete that fails answers 409 naming its path; the other deletes are done, no file written", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    const made = await runner.call("POST", `/v1/sessions/${id}/commands`, {
      command:
        "mkdir -p locked/sub gone && echo x > locked/sub/f && echo x > a.txt && chmod 555 locked/sub && ln -s /etc etc-link",
    });
    expect(made.json.status).toBe("OK");

    // A path under a file names nothing, like a missing one: nothing to delete.
    const refused = await runner.call("PUT", `/v1/sessions/${id}/files`, {
      files: [{ path: "new.txt", content: "n" }],
      deletes: ["gone", "locked", "a.txt/b", "etc-link/passwd"],
    });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: "delete_failed", paths: ["locked", "etc-link/passwd"] });
    expect(refused.json.message).toMatch(/"locked", "etc-link\/passwd".*Permission denied.*Read-only file system/s);
    const listing = await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "ls -A; ls locked/sub" });
    expect(listing.json.stdout).toBe("a.txt\netc-link\nlocked\nf\n");

    // Writing under a file is the client's mistake too.
    const underFile = await runner.call("PUT", `/v1/sessions/${id}/files`, { files: [{ path: "a.txt/b", content: "b" }] });
    expect(underFile.status).toBe(400);
    expect(underFile.json.message).toContain('"a.txt"');

    // The runner (root) removes what the session could not.
    const workspace = runner.sessions.get(id).workspace;
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
    expect(existsSync(workspace)).toBe(false);
  });

  it("delete removes the workspace and the session", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    const workspace = runner.sessions.get(id).workspace;
    expect(existsSync(workspace)).toBe(true);
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
    expect(existsSync(workspace)).toBe(false);
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(404);
    expect((await runner.call("POST", `/v1/sessions/${id}/commands`, { command: "true" })).status).toBe(404);
  });

  it("ends a running command when its session is deleted", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    const running = runner.call("POST", `/v1/sessions/${id}/commands`, { command: "sleep 30", limits: { wallMs: 60_000 } });
    await waitUntil(() => runner.sessions.get(id).running === 1, "the command runs");
    await sleep(200);
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
    const result = await running;
    expect(result.status).toBe(200);
    expect(result.json.status).not.toBe("OK");
  });

  it("refuses sessions beyond the maximum with 429", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id);
    const refused = await runner.call("POST", "/v1/sessions", { userId: "u1" });
    expect(refused.status).toBe(429);
    expect(refused.json.error).toBe("too_many_sessions");
    for (const id of ids) await runner.call("DELETE", `/v1/sessions/${id}`);
    expect((await runner.call("POST", "/v1/sessions", { userId: "u1" })).status).toBe(201);
  });
});

describe("idle expiry", () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner({ sessionIdleTtlMs: 1000 });
  });
  afterAll(() => runner?.close());

  it("removes an idle session's workspace and terminal", async () => {
    const id: string = (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id;
    await runner.call("PUT", `/v1/sessions/${id}/files`, { files: [{ path: "a.txt", content: "a" }] });
    const workspace = runner.sessions.get(id).workspace;

    const terminal = new TerminalClient(runner.ptyUrl(id, runner.ticket(id, "u1")));
    await terminal.opened();
    await terminal.waitFor("$ ");
    const shell = runner.sessions.get(id).terminal!.instance;
    await terminal.close(); // a connected client would keep the session alive

    await waitUntil(async () => (await runner.call("DELETE", `/v1/sessions/${id}`)).status === 404, "the session expired");
    expect(existsSync(workspace)).toBe(false);
    expect(shell.exited || (await waitUntil(() => shell.exited, "the shell ended").then(() => true))).toBe(true);
    await waitUntil(() => leakedCgroups().length === 0, "every cgroup is removed");
  });
});
