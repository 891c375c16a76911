/**
 * Installs through the package gateway, beside the host's own npm, and the time from an installed
 * project to its app answering (docs/live-preview.md, issue "Generated apps really run"). Prints figures;
 * asserts nothing. Needs root (like the runner) and the npm registry.
 *
 *   npm --prefix sandbox-runner run bench:install
 *
 * 1. The lockfile of the React + Vite project (tests/fixtures/llm-server/scripts/vite-react.ts),
 *    made once on the host.
 * 2. `npm ci` on the host with an empty cache, then with that cache warm.
 * 3. `npm ci` in a sandbox through a fresh gateway (cold: everything comes from upstream), then in a
 *    fresh workspace through the same gateway (warm: its cache serves everything; npm's own cache in
 *    the workspace is empty both times, as in a new session).
 * 4. From installed to ready (the app answers HTTP through its link) for the Vite app (`vite` dev
 *    server) and the Express app (`node server.js`).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EXPRESS_API_FILES } from "../../tests/fixtures/llm-server/scripts/express-api";
import { VITE_REACT_FILES } from "../../tests/fixtures/llm-server/scripts/vite-react";
import { loadRunnerConfig } from "../src/config";
import { loadGatewayConfig } from "../src/gateway/config";
import { PackageGateway } from "../src/gateway/gateway";
import { DEFAULT_LIMITS } from "../src/limits";
import { runInSandbox } from "../src/sandbox/run";
import { closeWarmPools } from "../src/sandbox/warm-pool";
import { mountQuotaVolume, unmountQuotaVolume } from "../src/sandbox/quota-volume";
import { createWorkspace, removeWorkspace, writeWorkspaceFile } from "../src/sandbox/workspace";
import { AppProcess } from "../src/sessions/app-process";

const config = loadRunnerConfig({ ...process.env, RUNNER_SANDBOX_UID: "64131", RUNNER_SANDBOX_GID: "64131", RUNNER_CGROUP_PARENT: "autocrea-bench" });
const LIMITS = { ...DEFAULT_LIMITS, wallMs: 600_000, cpuMs: 600_000, memoryBytes: 4096 * 1024 * 1024, pids: 1024, outputBytes: 8 * 1024 * 1024 };

const scratch = mkdtempSync(path.join(os.tmpdir(), "autocrea-bench-install-"));
chmodSync(scratch, 0o755);

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - start };
}

function writeProject(dir: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
}

function hostNpm(dir: string, args: string[], cache: string): void {
  execFileSync("npm", [...args, "--cache", cache, "--no-audit", "--no-fund", "--loglevel", "error"], { cwd: dir, stdio: "inherit" });
}

async function main(): Promise<void> {
  // 1. The lockfile, made once on the host.
  const lockDir = path.join(scratch, "lock");
  writeProject(lockDir, VITE_REACT_FILES);
  hostNpm(lockDir, ["install", "--package-lock-only"], path.join(scratch, "lock-cache"));
  const lockfile = readFileSync(path.join(lockDir, "package-lock.json"), "utf8");
  const project = { ...VITE_REACT_FILES, "package-lock.json": lockfile };

  // 2. The host's npm ci, empty cache then warm.
  const hostCache = path.join(scratch, "host-cache");
  const hostRun = (name: string) => {
    const dir = path.join(scratch, name);
    writeProject(dir, project);
    return timed(() => hostNpm(dir, ["ci"], hostCache)).ms;
  };
  const hostCold = hostRun("host-cold");
  const hostWarm = hostRun("host-warm");

  // 3. Through the gateway, cold then warm.
  const gateway = new PackageGateway(
    await loadGatewayConfig(path.join(scratch, "state"), { ...process.env, RUNNER_GATEWAY_CACHE_DIR: path.join(scratch, "gateway-cache") }),
  );
  await gateway.start();
  const door = await gateway.openDoor("bench-session-000000000", config.sandboxUid, config.sandboxGid);
  // As in a session: the workspace is a volume of its own (sandbox/quota-volume.ts), 2 GiB and 200 000 inodes.
  const stateDir = config.stateDir;
  const sandboxRun = async (files: Record<string, string>, command: string) => {
    const workspace = createWorkspace(config);
    await mountQuotaVolume(stateDir, workspace.dir, { bytes: 2048 * 1024 * 1024, inodes: 200_000 }, { uid: config.sandboxUid, gid: config.sandboxGid });
    for (const [file, content] of Object.entries(files)) writeWorkspaceFile(workspace, file, content, config);
    const { result, ms } = await timedAsync(() =>
      runInSandbox({ argv: ["/bin/sh", "-c", command], workspace: workspace.dir, limits: LIMITS, config, gatewaySocket: door, warmLauncher: false }),
    );
    if (result.status !== "OK") throw new Error(`${command} failed in the sandbox (${result.status}): ${result.stderr.slice(-2000)}`);
    return { workspace, ms };
  };
  const removeRun = async (workspace: { dir: string }) => {
    await unmountQuotaVolume(stateDir, workspace.dir);
    removeWorkspace(workspace);
  };
  const cold = await sandboxRun(project, "npm ci --loglevel error");
  await removeRun(cold.workspace);
  const warm = await sandboxRun(project, "npm ci --loglevel error");

  // 4. Installed → ready, with a warm gateway.
  const untilReady = async (workspace: string, argv: string[]) => {
    const app = new AppProcess({ workspace, config, gatewaySocket: door, linkDir: path.join(scratch, "links", path.basename(workspace)) });
    const { ms } = await timedAsync(async () => {
      await app.start({ argv, port: 3000 });
      while (["starting", "installing"].includes(app.status().state)) await sleep(20);
    });
    const state = app.status().state;
    await app.stop();
    if (state !== "ready") throw new Error(`the app ended ${state}: ${app.logSince(0).text.slice(-2000)}`);
    return ms;
  };
  const viteReady = await untilReady(warm.workspace.dir, ["npm", "run", "dev", "--", "--port", "3000", "--strictPort", "--host", "127.0.0.1"]);
  await removeRun(warm.workspace);
  const express = await sandboxRun(EXPRESS_API_FILES, "npm install --loglevel error");
  const expressReady = await untilReady(express.workspace.dir, ["npm", "start"]);
  await removeRun(express.workspace);
  await gateway.close();

  console.log("\nInstalls of the React + Vite project's lockfile (npm ci; through the gateway: in a session's workspace volume)");
  console.log(`  host, empty cache        ${seconds(hostCold)}`);
  console.log(`  host, warm cache         ${seconds(hostWarm)}`);
  console.log(`  gateway, cold            ${seconds(cold.ms)}   (${(cold.ms / hostCold).toFixed(2)}× the host's cold)`);
  console.log(`  gateway, warm            ${seconds(warm.ms)}   (${(warm.ms / hostWarm).toFixed(2)}× the host's warm; goal ≤ 1.3×)`);
  console.log("\nFrom installed to ready (the app answers HTTP through its link), warm gateway");
  console.log(`  React + Vite (vite dev)  ${seconds(viteReady)}   (goal ≤ 10 s)`);
  console.log(`  Express + sql.js         ${seconds(expressReady)}   (goal ≤ 10 s)`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await closeWarmPools();
    rmSync(scratch, { recursive: true, force: true });
  });
