import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statfsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * Each session's workspace is a volume of its own (sandbox/quota-volume.ts): a sandbox that writes
 * without end — bytes or files — fills its own workspace and is told so; the host's disk and the
 * other sessions are not touched. Session uids of this file's own (see session-uids.test.ts).
 */
vi.hoisted(() => {
  process.env.RUNNER_SESSION_UID_BASE = "64901";
});

import { getRunnerConfig } from "../src/config";
import { mountPointsUnder, mountQuotaVolume, volumeImagePath } from "../src/sandbox/quota-volume";
import { loadServerConfig } from "../src/server/config";
import { startTestRunner, type TestRunner } from "./server-support";

const MiB = 1024 * 1024;
const QUOTA = { bytes: 48 * MiB, inodes: 2048 };
const volumesDir = () => path.join(getRunnerConfig().stateDir, "volumes");

describe("per-session workspace quota", () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner({ maxSessions: 3, workspaceQuota: QUOTA });
  });
  afterAll(() => runner?.close());

  const newSession = async () => (await runner.call("POST", "/v1/sessions", { userId: "u1" })).json.id as string;
  const run = async (id: string, command: string, limits: Record<string, number> = {}) =>
    (await runner.call("POST", `/v1/sessions/${id}/commands`, { command, limits })).json;

  it("a command that writes past the quota fails and is told the workspace is full; the other session is untouched", async () => {
    const [flooder, neighbour] = [await newSession(), await newSession()];
    expect((await run(neighbour, "head -c 1000000 /dev/zero > keep.bin && echo written")).stdout).toBe("written\n");

    // 8 MiB files (each under the per-file limit) until the disk says no.
    const flood = await run(
      flooder,
      "i=0; while head -c 8388608 /dev/zero > f$i.bin; do i=$((i+1)); [ $i -gt 40 ] && exit 0; done; echo stopped-at-$i; exit 1",
      { wallMs: 60_000 },
    );
    expect(flood.exitCode).toBe(1);
    expect(flood.stdout).toMatch(/^stopped-at-[0-6]\n$/);
    expect(flood.stderr).toMatch(/No space left on device/);
    expect(flood.stderr).toContain("[runner] The workspace is full: it holds at most 48 MiB and 2,048 files and directories.");

    // The bytes are in the session's image, which cannot grow past the quota.
    const workspace = runner.sessions.get(flooder).workspace;
    expect(statSync(volumeImagePath(getRunnerConfig().stateDir, workspace)).blocks * 512).toBeLessThanOrEqual(QUOTA.bytes);

    // A file the app writes into the full workspace: 507 with the same sentence, nothing half-done elsewhere.
    const put = await runner.call("PUT", `/v1/sessions/${flooder}/files`, {
      files: [{ path: "src/big.txt", content: "x".repeat(4 * MiB) }],
      deletes: [],
    });
    expect(put.status).toBe(507);
    expect(put.json.error).toBe("workspace_full");
    expect(put.json.message).toContain('Could not write "src/big.txt". The workspace is full');

    // The neighbour writes as before, and the flooder recovers once it deletes its files.
    expect((await run(neighbour, "head -c 8000000 /dev/zero > more.bin && ls")).stdout).toBe("keep.bin\nmore.bin\n");
    expect((await run(flooder, "rm f*.bin && head -c 8000000 /dev/zero > again.bin && echo ok")).stdout).toBe("ok\n");
    await runner.call("DELETE", `/v1/sessions/${flooder}`);
    await runner.call("DELETE", `/v1/sessions/${neighbour}`);
  });

  it("a flood of empty files stops at the inode quota", async () => {
    const id = await newSession();
    const flood = await run(id, "mkdir d && cd d && i=0; while true > f$i; do i=$((i+1)); done 2>/dev/null; echo $i; exit 1", { wallMs: 60_000 });
    expect(flood.exitCode).toBe(1);
    const made = Number(flood.stdout.trim());
    // mkfs rounds the inode count up to whole block groups.
    const inodes = statfsSync(runner.sessions.get(id).workspace).files;
    expect(inodes).toBeGreaterThanOrEqual(QUOTA.inodes);
    expect(inodes).toBeLessThan(QUOTA.inodes * 1.1);
    expect(made).toBeGreaterThan(QUOTA.inodes * 0.9);
    expect(made).toBeLessThan(inodes);
    expect(flood.stderr).toContain("[runner] The workspace is full");
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("an install that runs out of space says so in the app's status", async () => {
    const id = await newSession();
    await runner.call("PUT", `/v1/sessions/${id}/files`, {
      files: [
        {
          path: "package.json",
          content: JSON.stringify({
            name: "filler",
            // The install below fills the disk, as a too-large node_modules would.
            scripts: { start: "node -e 0" },
          }),
        },
      ],
      deletes: [],
    });
    const started = await runner.call("PUT", `/v1/sessions/${id}/app`, {
      install: "i=0; while head -c 8388608 /dev/zero > fill$i; do i=$((i+1)); done; exit 1",
      command: "node -e 0",
      port: 3000,
    });
    expect(started.status).toBe(202);
    let status: { state?: string; message?: string } = {};
    for (let i = 0; i < 600; i++) {
      status = (await runner.call("GET", `/v1/sessions/${id}/app`)).json;
      if (status.state === "failed") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status.state).toBe("failed");
    expect(status.message).toMatch(/^The install \(.*\) failed with exit code 1\. The workspace is full: it holds at most 48 MiB/);
    await runner.call("DELETE", `/v1/sessions/${id}`);
  });

  it("ending a session unmounts its volume and deletes its image", async () => {
    const id = await newSession();
    const workspace = runner.sessions.get(id).workspace;
    expect(mountPointsUnder(workspace)).toEqual([workspace]);
    expect(readdirSync(workspace)).toEqual([]); // no lost+found
    const image = volumeImagePath(getRunnerConfig().stateDir, workspace);
    expect(existsSync(image)).toBe(true);
    expect((await runner.call("DELETE", `/v1/sessions/${id}`)).status).toBe(204);
    expect(mountPointsUnder(workspace)).toEqual([]);
    expect(existsSync(workspace)).toBe(false);
    expect(existsSync(image)).toBe(false);
  });

  it("the health answer says quotas are on", async () => {
    expect((await fetch(`${runner.url}/v1/health`).then((r) => r.json())).workspaceQuota).toBe("on");
  });
});

describe("a volume a killed runner left", () => {
  it("is unmounted and deleted when the next runner starts", async () => {
    const config = getRunnerConfig();
    const crashed = path.join(config.stateDir, "ws", "session-999999998-00112233445566778899aabb");
    mkdirSync(crashed, { recursive: true });
    await mountQuotaVolume(config.stateDir, crashed, QUOTA, { uid: 64901, gid: 64901 });
    writeFileSync(path.join(crashed, "left.txt"), "left behind");
    const orphanImage = path.join(volumesDir(), "session-999999997-ffeeddccbbaa998877665544.img");
    writeFileSync(orphanImage, "");

    const runner = await startTestRunner({ maxSessions: 1, workspaceQuota: QUOTA });
    try {
      for (let i = 0; i < 300 && (existsSync(crashed) || existsSync(orphanImage)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(mountPointsUnder(crashed)).toEqual([]);
      expect(existsSync(crashed)).toBe(false);
      expect(existsSync(volumeImagePath(config.stateDir, crashed))).toBe(false);
      expect(existsSync(orphanImage)).toBe(false);
    } finally {
      await runner.close();
    }
  });
});

describe("settings", () => {
  it("are on by default, sized by RUNNER_WORKSPACE_DISK_MB and _INODES, and off only when asked", () => {
    const base = { RUNNER_SECRET: "s".repeat(32) };
    expect(loadServerConfig(base).workspaceQuota).toEqual({ bytes: 2048 * MiB, inodes: 200_000 });
    expect(
      loadServerConfig({ ...base, RUNNER_WORKSPACE_DISK_MB: "512", RUNNER_WORKSPACE_INODES: "50000" }).workspaceQuota,
    ).toEqual({ bytes: 512 * MiB, inodes: 50_000 });
    expect(loadServerConfig({ ...base, RUNNER_WORKSPACE_QUOTA: "off" }).workspaceQuota).toBeNull();
    expect(() => loadServerConfig({ ...base, RUNNER_WORKSPACE_QUOTA: "no" })).toThrow(/RUNNER_WORKSPACE_QUOTA must be on or off/);
    expect(() => loadServerConfig({ ...base, RUNNER_WORKSPACE_DISK_MB: "1" })).toThrow(/RUNNER_WORKSPACE_DISK_MB/);
  });

  it("a runner that cannot mount volumes refuses to start, naming the way out", async () => {
    // A state directory on a read-only bind: the image cannot even be made there.
    const config = getRunnerConfig();
    const readOnly = path.join(config.stateDir, "..", `ro-state-${process.pid}`);
    mkdirSync(readOnly, { recursive: true });
    execFileSync("mount", ["--bind", "-o", "ro", readOnly, readOnly]);
    try {
      const { startRunner } = await import("../src/server/start");
      await expect(
        startRunner(
          { port: 0, host: "127.0.0.1", secret: "x".repeat(32), sessionIdleTtlMs: 60_000, maxSessions: 1, maxBodyBytes: 1024, gateway: false, appIdleTtlMs: 60_000, workspaceQuota: QUOTA },
          { ...config, stateDir: readOnly },
        ),
      ).rejects.toThrow(/RUNNER_WORKSPACE_QUOTA=off/);
    } finally {
      execFileSync("umount", [readOnly]);
    }
  });
});
