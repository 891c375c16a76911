import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The real sandbox-runner (`sandbox-runner/src/main.ts`, self-test and real
 * sandbox) as a child process, for integration tests that need one.
 */

const runnerDir = path.resolve(__dirname, "../../../sandbox-runner");

export interface StartedRunner {
  url: string;
  stop(): Promise<void>;
}

export async function startRunner(secret: string, port = 0): Promise<StartedRunner> {
  const stateDir = path.join(os.tmpdir(), `autocrea-runner-${process.pid}-${Date.now()}`);
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: runnerDir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      // What the package gateway needs to reach the registry from this machine (a CA of its own, say).
      ...Object.fromEntries(
        ["NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"].flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])),
      ),
      NODE_ENV: "test",
      PORT: String(port),
      RUNNER_STATE_DIR: stateDir,
      RUNNER_SECRET: secret,
      // The package gateway's cache outlives one test run on this machine (its uid must reach it: not under a 0700 dir).
      RUNNER_GATEWAY_CACHE_DIR: path.join(os.tmpdir(), "autocrea-test-gateway-cache"),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`runner exited with ${code}: ${log}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
