import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../src/config";
import { DEFAULT_LIMITS } from "../src/limits";
import { leakedCgroups, SandboxCgroup } from "../src/sandbox/cgroup";
import { launcherPath, launcherProblem } from "../src/sandbox/launcher";
import { selfTest } from "../src/selftest";

async function withLauncherPath<T>(
  file: string,
  body: () => Promise<T>,
): Promise<T> {
  const previous = process.env.RUNNER_LAUNCHER_PATH;
  process.env.RUNNER_LAUNCHER_PATH = file;
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env.RUNNER_LAUNCHER_PATH;
    else process.env.RUNNER_LAUNCHER_PATH = previous;
  }
}

describe("selfTest", () => {
  it("builds a real sandbox and finds it isolated", async () => {
    const config = loadRunnerConfig();
    const report = await selfTest(config);
    expect(report.sandboxUid).toBe(config.sandboxUid);
    expect([1, 2]).toContain(report.cgroupVersion);
    expect(leakedCgroups()).toEqual([]);
  });

  it("refuses when bubblewrap is missing", async () => {
    const config = loadRunnerConfig({
      ...process.env,
      RUNNER_BWRAP_PATH: "/nonexistent/bwrap",
    });
    await expect(selfTest(config)).rejects.toThrow(
      "bubblewrap not found at /nonexistent/bwrap",
    );
  });

  it("refuses when the bubblewrap path is not an executable", async () => {
    const fake = path.join(os.tmpdir(), `autocrea-fake-bwrap-${process.pid}`);
    writeFileSync(fake, "not a program");
    chmodSync(fake, 0o644);
    const config = loadRunnerConfig({
      ...process.env,
      RUNNER_BWRAP_PATH: fake,
    });
    await expect(selfTest(config)).rejects.toThrow(/not executable/);
  });

  it("refuses when the 'bubblewrap' it is given does not build a sandbox", async () => {
    // A program that is not bubblewrap never reports a started sandbox: the self-test must refuse.
    const config = loadRunnerConfig({
      ...process.env,
      RUNNER_BWRAP_PATH: "/usr/bin/true",
    });
    await expect(selfTest(config)).rejects.toThrow(
      /did not run in the sandbox/,
    );
  });

  it("refuses when the seccomp filter is not applied inside the sandbox", async () => {
    // A bubblewrap that drops --seccomp (e.g. a wrapper, or a build that ignored it).
    const fake = path.join(os.tmpdir(), `autocrea-bwrap-noseccomp-${process.pid}`);
    writeFileSync(
      fake,
      [
        "#!/bin/sh",
        "skip=0",
        "for arg do",
        "  shift",
        '  if [ "$skip" = 1 ]; then skip=0; continue; fi',
        '  if [ "$arg" = --seccomp ]; then skip=1; continue; fi',
        '  set -- "$@" "$arg"',
        "done",
        'exec /usr/bin/bwrap "$@"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    try {
      const config = loadRunnerConfig({ ...process.env, RUNNER_BWRAP_PATH: fake });
      await expect(selfTest(config)).rejects.toThrow(
        /seccomp filter is not applied inside the sandbox \(cold start; Seccomp: 0/,
      );
    } finally {
      rmSync(fake, { force: true });
    }
  });

  it("refuses a root sandbox uid in the configuration", () => {
    expect(() => loadRunnerConfig({ RUNNER_SANDBOX_UID: "0" })).toThrow(
      /RUNNER_SANDBOX_UID/,
    );
  });

  it("refuses when the sandbox launcher is missing", async () => {
    await withLauncherPath("/nonexistent/sandbox-launch", () =>
      expect(selfTest(loadRunnerConfig())).rejects.toThrow(
        /sandbox launcher is missing at \/nonexistent\/sandbox-launch/,
      ),
    );
  });

  it("refuses a sandbox launcher that others could replace", async () => {
    const copy = path.join(os.tmpdir(), `autocrea-launcher-${process.pid}`);
    copyFileSync(launcherPath(), copy);
    chmodSync(copy, 0o777);
    try {
      expect(launcherProblem(copy)).toMatch(
        /must not be writable by group or others/,
      );
      await withLauncherPath(copy, () =>
        expect(selfTest(loadRunnerConfig())).rejects.toThrow(
          /must not be writable/,
        ),
      );
    } finally {
      rmSync(copy, { force: true });
    }
  });
});

describe("sandbox launcher", () => {
  const launcher = launcherPath();
  const cgroupArgs = [
    "--uid",
    "64000",
    "--gid",
    "64000",
    "--cgroup",
    "/nonexistent/cgroup.procs",
  ];

  it("refuses to start without a sandbox uid, a cgroup or limits, and never runs the program then", () => {
    for (const args of [
      [
        "--gid",
        "64000",
        "--cgroup",
        "/x",
        "--cpu",
        "1:2",
        "--fsize",
        "1",
        "--nofile",
        "8",
        "--",
        "/usr/bin/touch",
        "/tmp/never",
      ],
      [
        "--uid",
        "0",
        "--gid",
        "0",
        "--cgroup",
        "/x",
        "--cpu",
        "1:2",
        "--fsize",
        "1",
        "--nofile",
        "8",
        "--",
        "/usr/bin/true",
      ],
      [
        "--uid",
        "64000",
        "--gid",
        "64000",
        "--cpu",
        "1:2",
        "--fsize",
        "1",
        "--nofile",
        "8",
        "--",
        "/usr/bin/true",
      ],
      [
        "--uid",
        "64000",
        "--gid",
        "64000",
        "--cgroup",
        "/x",
        "--",
        "/usr/bin/true",
      ],
    ]) {
      const result = spawnSync(launcher, args, { encoding: "utf8" });
      expect(result.status).toBe(125);
      expect(result.stderr).toMatch(/^sandbox-launch: /);
    }
  });

  it("fails closed when it cannot join the cgroup", () => {
    const result = spawnSync(
      launcher,
      [
        ...cgroupArgs,
        "--cpu",
        "1:2",
        "--fsize",
        "1",
        "--nofile",
        "8",
        "--",
        "/usr/bin/true",
      ],
      {
        encoding: "utf8",
      },
    );
    expect(result.status).toBe(125);
    expect(result.stderr).toMatch(
      /cannot join cgroup \/nonexistent\/cgroup.procs/,
    );
  });

  /** The descriptors among 3..9 and 200 a program sees open, as the shell lines `sh -c SCRIPT` prints. */
  const LIST_FDS = [
    "/usr/bin/sh",
    "-c",
    "for fd in 3 4 5 6 7 8 9 200; do if [ -e /proc/self/fd/$fd ]; then echo $fd; fi; done",
  ];

  /** Runs `body` with a host file opened read-write (not close-on-exec once handed to a child). */
  function withHostFile<T>(body: (fd: number) => Promise<T>): Promise<T> {
    const file = path.join(os.tmpdir(), `autocrea-launcher-fds-${process.pid}`);
    writeFileSync(file, "host\n", { mode: 0o600 });
    const fd = openSync(file, "r+");
    return body(fd).finally(() => {
      closeSync(fd);
      rmSync(file, { force: true });
    });
  }

  it("passes on stdin, stdout, stderr and the --keep-fd descriptors only", async () => {
    await withHostFile(async (fd) => {
      const cgroup = SandboxCgroup.create(DEFAULT_LIMITS);
      try {
        const stdio: ("ignore" | "pipe" | number)[] = [
          "ignore",
          "pipe",
          "pipe",
          fd,
          fd,
          fd,
        ];
        while (stdio.length < 200) stdio.push("ignore");
        stdio.push(fd);
        const child = spawn(
          launcher,
          [
            "--uid",
            "64000",
            "--gid",
            "64000",
            ...cgroup.procsFiles.flatMap((f) => ["--cgroup", f]),
            "--cpu",
            "2:3",
            "--fsize",
            "1024",
            "--nofile",
            "16",
            "--keep-fd",
            "4",
            "--",
            ...LIST_FDS,
          ],
          { stdio },
        );
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (chunk) => (stdout += chunk));
        child.stderr!.on("data", (chunk) => (stderr += chunk));
        const status = await new Promise<number | null>((resolve) =>
          child.on("close", resolve),
        );
        expect({ status, stdout, stderr }).toEqual({
          status: 0,
          stdout: "4\n",
          stderr: "",
        });
      } finally {
        await cgroup.remove();
      }
    });
  });

  it("--open-fd opens a regular file read-only at that descriptor, as the sandbox uid", async () => {
    const dir = path.join(os.tmpdir(), `autocrea-open-fd-${process.pid}`);
    mkdirSync(dir, { mode: 0o755 });
    const readable = path.join(dir, "readable");
    const rootOnly = path.join(dir, "root-only");
    writeFileSync(readable, "filter-bytes");
    writeFileSync(rootOnly, "secret", { mode: 0o600 });
    symlinkSync(readable, path.join(dir, "link"));
    const cgroup = SandboxCgroup.create(DEFAULT_LIMITS);
    const launch = (extra: string[], script: string) =>
      spawnSync(
        launcher,
        [
          "--uid",
          "64000",
          "--gid",
          "64000",
          ...cgroup.procsFiles.flatMap((f) => ["--cgroup", f]),
          "--cpu",
          "2:3",
          "--fsize",
          "1024",
          "--nofile",
          "16",
          ...extra,
          "--",
          "/usr/bin/sh",
          "-c",
          script,
        ],
        { encoding: "utf8" },
      );
    try {
      const ok = launch(
        ["--open-fd", `6:${readable}`],
        "cat <&6; echo; if echo x >&6; then echo WROTE; fi 2>/dev/null; " +
          "for fd in 3 4 5 7; do [ -e /proc/self/fd/$fd ] && echo open $fd; done; true",
      );
      expect({ status: ok.status, stdout: ok.stdout }).toEqual({
        status: 0,
        stdout: "filter-bytes\n",
      });
      // Not as root: a file only root can read is refused, and nothing runs.
      const denied = launch(["--open-fd", `6:${rootOnly}`], "echo RAN");
      expect(denied.status).toBe(125);
      expect(denied.stdout).toBe("");
      expect(denied.stderr).toMatch(/cannot open .*root-only: Permission denied/);
      for (const [extra, message] of [
        [["--open-fd", `6:${path.join(dir, "link")}`], /cannot open .*link/],
        [["--open-fd", `6:${dir}`], /is not a regular file/],
        [["--open-fd", `2:${readable}`], /descriptor above 2/],
        [["--open-fd", "6:relative"], /N:\/ABSOLUTE\/PATH/],
        [["--keep-fd", "6", "--open-fd", `6:${readable}`], /also a --keep-fd/],
        [["--open-fd", `20:${readable}`], /cannot open .* at descriptor 20/],
      ] as const) {
        const result = launch([...extra], "echo RAN");
        expect(result.status).toBe(125);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(message);
      }
    } finally {
      await cgroup.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses --keep-fd for stdio", () => {
    const result = spawnSync(
      launcher,
      [
        ...cgroupArgs,
        "--keep-fd",
        "2",
        "--cpu",
        "1:2",
        "--fsize",
        "1",
        "--nofile",
        "8",
        "--",
        "/usr/bin/true",
      ],
      { encoding: "utf8" },
    );
    expect(result.status).toBe(125);
    expect(result.stderr).toMatch(/--keep-fd must be a descriptor above 2/);
  });

  /** Starts the launcher in warm mode in a fresh cgroup, sends `request`, returns what happened. */
  async function warmLaunch(
    request: string[],
    extraStdio: number[] = [],
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const cgroup = SandboxCgroup.create(DEFAULT_LIMITS);
    try {
      const child = spawn(
        launcher,
        [
          "--uid",
          "64000",
          "--gid",
          "64000",
          ...cgroup.procsFiles.flatMap((f) => ["--cgroup", f]),
          "--wait-fd",
          "3",
        ],
        {
          stdio: ["ignore", "pipe", "pipe", "pipe", ...extraStdio],
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (chunk) => (stdout += chunk));
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      (child.stdio[3] as NodeJS.WritableStream).end(
        request.map((arg) => `${arg}\0`).join(""),
      );
      const status = await new Promise<number | null>((resolve) =>
        child.on("close", (code) => resolve(code)),
      );
      return { status, stdout, stderr };
    } finally {
      await cgroup.remove();
    }
  }

  it("in warm mode runs the request only after dropping to the sandbox uid", async () => {
    const result = await warmLaunch([
      "--cpu",
      "2:3",
      "--fsize",
      "1024",
      "--nofile",
      "16",
      "--",
      "/usr/bin/sh",
      "-c",
      "id -u; ulimit -n",
    ]);
    expect(result).toEqual({ status: 0, stdout: "64000\n16\n", stderr: "" });
  });

  it("in warm mode passes on only the --keep-fd descriptors of the request, never the request pipe", async () => {
    await withHostFile(async (fd) => {
      const limits = ["--cpu", "2:3", "--fsize", "1024", "--nofile", "16"];
      expect(
        await warmLaunch(
          [...limits, "--keep-fd", "5", "--", ...LIST_FDS],
          [fd, fd, fd],
        ),
      ).toEqual({ status: 0, stdout: "5\n", stderr: "" });
      expect(
        await warmLaunch([...limits, "--", ...LIST_FDS], [fd, fd, fd]),
      ).toEqual({
        status: 0,
        stdout: "",
        stderr: "",
      });
      const result = await warmLaunch([
        ...limits,
        "--keep-fd",
        "3",
        "--",
        ...LIST_FDS,
      ]);
      expect(result.status).toBe(125);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/cannot pass on the request descriptor/);
    });
  });

  it("in warm mode refuses identity options or a missing program in the request", async () => {
    for (const request of [
      [
        "--uid",
        "0",
        "--cpu",
        "2:3",
        "--fsize",
        "1024",
        "--nofile",
        "16",
        "--",
        "/usr/bin/true",
      ],
      [
        "--cgroup",
        "/sys/fs/cgroup/pids/cgroup.procs",
        "--cpu",
        "2:3",
        "--fsize",
        "1024",
        "--nofile",
        "16",
        "--",
        "/usr/bin/true",
      ],
      ["--cpu", "2:3", "--fsize", "1024", "--nofile", "16", "--"],
      [],
    ]) {
      const result = await warmLaunch(request);
      expect(result.status).toBe(125);
      expect(result.stdout).toBe("");
    }
  });
});
