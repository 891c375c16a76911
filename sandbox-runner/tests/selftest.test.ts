import { chmodSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../src/config";
import { leakedCgroups } from "../src/sandbox/cgroup";
import { selfTest } from "../src/selftest";

describe("selfTest", () => {
  it("builds a real sandbox and finds it isolated", async () => {
    const config = loadRunnerConfig();
    const report = await selfTest(config);
    expect(report.sandboxUid).toBe(config.sandboxUid);
    expect([1, 2]).toContain(report.cgroupVersion);
    expect(leakedCgroups()).toEqual([]);
  });

  it("refuses when bubblewrap is missing", async () => {
    const config = loadRunnerConfig({ ...process.env, RUNNER_BWRAP_PATH: "/nonexistent/bwrap" });
    await expect(selfTest(config)).rejects.toThrow("bubblewrap not found at /nonexistent/bwrap");
  });

  it("refuses when the bubblewrap path is not an executable", async () => {
    const fake = path.join(os.tmpdir(), `autocrea-fake-bwrap-${process.pid}`);
    writeFileSync(fake, "not a program");
    chmodSync(fake, 0o644);
    const config = loadRunnerConfig({ ...process.env, RUNNER_BWRAP_PATH: fake });
    await expect(selfTest(config)).rejects.toThrow(/not executable/);
  });

  it("refuses when the 'bubblewrap' it is given does not build a sandbox", async () => {
    // A program that is not bubblewrap never reports a started sandbox: the self-test must refuse.
    const config = loadRunnerConfig({ ...process.env, RUNNER_BWRAP_PATH: "/usr/bin/true" });
    await expect(selfTest(config)).rejects.toThrow(/did not run in the sandbox/);
  });

  it("refuses a root sandbox uid in the configuration", () => {
    expect(() => loadRunnerConfig({ RUNNER_SANDBOX_UID: "0" })).toThrow(/RUNNER_SANDBOX_UID/);
  });
});
