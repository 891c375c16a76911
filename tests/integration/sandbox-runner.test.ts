import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunnerClient, type RunnerClient } from "@/lib/sandbox/client";

// The app's client against the real runner: `sandbox-runner/src/main.ts` as its own process
// (self-test, real sandbox), spoken to over HTTP exactly as in production.

const runnerDir = path.resolve(__dirname, "../../sandbox-runner");
const stateDir = path.join(os.tmpdir(), `autocrea-runner-app-tests-${process.pid}`);

function spawnRunner(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: runnerDir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      NODE_ENV: "test",
      PORT: "0",
      RUNNER_STATE_DIR: stateDir,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** Resolves with the URL the runner logs once listening; rejects if it exits first. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`runner exited with ${code}: ${log}`)));
  });
}

const secret = randomBytes(32).toString("hex");
let runner: ChildProcess;
let url: string;
let client: RunnerClient;

beforeAll(async () => {
  runner = spawnRunner({ RUNNER_SECRET: secret });
  url = await listeningUrl(runner);
  client = createRunnerClient({ url, secret });
}, 60_000);

afterAll(async () => {
  if (runner && runner.exitCode === null) {
    runner.kill("SIGTERM");
    await once(runner, "exit");
  }
  rmSync(stateDir, { recursive: true, force: true });
});

describe("sandbox-runner process", () => {
  it("refuses to start without RUNNER_SECRET", async () => {
    const child = spawnRunner({});
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(log).toMatch(/RUNNER_SECRET is required/);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    const child = spawnRunner({ RUNNER_SECRET: secret });
    await listeningUrl(child);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });
});

describe("app ↔ sandbox-runner", () => {
  it("reaches the runner with signed requests", async () => {
    expect(await client.health()).toEqual({ status: "ok" });
    const runtimes = await client.runtimes();
    expect(runtimes.find((r) => r.language === "python")).toMatchObject({ compiled: false });
  });

  it("executes a program", async () => {
    const result = await client.execute({
      language: "python",
      files: [{ path: "main.py", content: "import sys; print(sys.stdin.read().upper())" }],
      stdin: "hello",
    });
    expect(result.run).toMatchObject({ status: "OK", stdout: "HELLO\n" });
  });

  it("works in a session: files, commands, delete", async () => {
    const { id } = await client.createSession({ userId: "user-1" });
    await client.writeFiles(id, [{ path: "notes/a.txt", content: "from the app" }]);
    expect(await client.runCommand(id, { command: "cat notes/a.txt" })).toMatchObject({ status: "OK", stdout: "from the app" });
    expect(await client.runCommand(id, { argv: ["ls", "notes"] })).toMatchObject({ stdout: "a.txt\n" });
    await expect(client.writeFiles(id, [{ path: "../escape", content: "" }])).rejects.toMatchObject({ status: 400 });
    await client.deleteSession(id);
    await expect(client.runCommand(id, { command: "true" })).rejects.toMatchObject({ status: 404 });
  });

  it("reports a wrong secret as a runner error, not as the user's fault", async () => {
    const misconfigured = createRunnerClient({ url, secret: "x".repeat(64) });
    await expect(misconfigured.runtimes()).rejects.toMatchObject({ status: 502, runnerStatus: 401 });
  });
});
