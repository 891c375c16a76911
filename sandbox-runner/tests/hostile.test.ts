import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../src/config";
import { DEFAULT_LIMITS, type Limits } from "../src/limits";
import {
  isIdleCgroup,
  leakedCgroups,
  type SandboxCgroup,
} from "../src/sandbox/cgroup";
import {
  readySandboxReady,
  takeReadySandbox,
  type ReadySandbox,
} from "../src/sandbox/ready-pool";
import { runInSandbox, type RunResult } from "../src/sandbox/run";
import { closeWarmPools } from "../src/sandbox/warm-pool";
import {
  createWorkspace,
  readWorkspaceFile,
  removeWorkspace,
  writeWorkspaceFile,
  type Workspace,
} from "../src/sandbox/workspace";

/**
 * Hostile programs, run twice: started by the launcher (warm or cold), and in ready sandboxes
 * (ready-pool.ts, bubblewrap started before the run). Each case checks the status, that the cgroup is gone with nothing left in it, that no
 * process of the sandbox uid survives on the host, and that the host is unchanged.
 * A uid and cgroup parent of their own keep these checks exact while other runners use the defaults.
 */
const config = loadRunnerConfig({
  ...process.env,
  RUNNER_SANDBOX_UID: "64123",
  RUNNER_SANDBOX_GID: "64123",
  RUNNER_CGROUP_PARENT: "autocrea-sandbox-hostile",
});
const PYTHON = "/usr/bin/python3";
const BASH = "/usr/bin/bash";
const runnerSource = fileURLToPath(import.meta.url);
const PACKAGE_ROOT = path.resolve(path.dirname(runnerSource), "..");

/**
 * Lists the program's open descriptors as `fd N TARGET` lines, and tries to write to and read from
 * every one above stderr (which must fail: there must be none). Also tells whether it runs in a
 * ready sandbox (its exec helper is bound there).
 */
const LIST_FDS_PY = `
import os, resource
found = []
for fd in range(min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)):
    try:
        os.fstat(fd)
    except OSError:
        continue
    found.append(fd)
for fd in found:
    try:
        target = os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        target = "?"
    print("fd", fd, target)
    if fd > 2:
        for label, attempt in (("wrote", lambda: os.write(fd, b"SANDBOX-WAS-HERE\\n")), ("read", lambda: os.pread(fd, 100, 0))):
            try:
                print(label, fd, attempt())
            except OSError as error:
                print(label, fd, "failed", error.errno)
print("ready-helper", os.path.exists("/.sandbox-exec"))
`;

/** The descriptors a LIST_FDS_PY run saw open. */
function openFds(stdout: string): number[] {
  return [...stdout.matchAll(/^fd (\d+) /gm)].map((match) => Number(match[1]));
}

/**
 * Runs LIST_FDS_PY in a runner process of its own (tests/fixtures/inherited-fd-runner.ts) that
 * inherited, not close-on-exec, a host file opened read-write at fd 100 and a host pipe at fd 101,
 * as a runner started from a shell or supervisor may. (Above 16 and a gap: Node marks the
 * contiguous descriptors from 0 up close-on-exec when it starts, not those beyond.)
 */
async function runWithInheritedFds(mode: "cold" | "warm" | "ready"): Promise<{
  result: RunResult;
  hostFile: string;
  hostPipe: string;
}> {
  const secretFile = path.join(
    os.tmpdir(),
    `autocrea-inherited-${process.pid}`,
  );
  writeFileSync(secretFile, "host-secret-0123456789\n", { mode: 0o600 });
  const fd = openSync(secretFile, "r+");
  try {
    const stdio: ("ignore" | "pipe" | number)[] = ["ignore", "pipe", "pipe"];
    while (stdio.length < 100) stdio.push("ignore");
    stdio.push(fd, "pipe");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(PACKAGE_ROOT, "tests/fixtures/inherited-fd-runner.ts"),
        mode,
        LIST_FDS_PY,
      ],
      {
        cwd: PACKAGE_ROOT,
        stdio,
        env: {
          ...process.env,
          RUNNER_SANDBOX_UID: String(config.sandboxUid),
          RUNNER_SANDBOX_GID: String(config.sandboxGid),
          RUNNER_CGROUP_PARENT: config.cgroupParent,
          RUNNER_STATE_DIR: config.stateDir,
          RUNNER_BWRAP_PATH: config.bwrapPath,
          RUNNER_WARM_SANDBOXES: mode === "warm" ? "1" : "0",
          RUNNER_READY_SANDBOXES: mode === "ready" ? "1" : "0",
        },
      },
    );
    let stdout = "";
    let stderr = "";
    let hostPipe = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    (child.stdio as unknown as NodeJS.ReadableStream[])[101].on(
      "data",
      (chunk) => (hostPipe += chunk),
    );
    const code = await new Promise<number | null>((resolve) =>
      child.on("close", resolve),
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const { result, leakedCgroups: leaked } = JSON.parse(stdout) as {
      result: RunResult;
      leakedCgroups: string[];
    };
    expect(leaked).toEqual([]);
    expect(await sandboxProcessesAfterExit()).toEqual([]);
    return { result, hostFile: readFileSync(secretFile, "utf8"), hostPipe };
  } finally {
    closeSync(fd);
    rmSync(secretFile, { force: true });
  }
}

/** Whether a process is one of the idle ready sandboxes the pool keeps (they run as the sandbox uid). */
function inIdleReadySandbox(pid: string): boolean {
  try {
    const prefix = `/${config.cgroupParent}/`;
    return readFileSync(`/proc/${pid}/cgroup`, "utf8")
      .split("\n")
      .some((line) => {
        const cgroupPath = line.slice(
          line.indexOf(":", line.indexOf(":") + 1) + 1,
        );
        return (
          cgroupPath.startsWith(prefix) &&
          isIdleCgroup(cgroupPath.slice(prefix.length))
        );
      });
  } catch {
    return false;
  }
}

/**
 * Live (non-zombie) host processes of the sandbox uid, idle ready sandboxes aside. bubblewrap's pid-1
 * helper is reparented to the host's init when the sandbox ends and stays a zombie until init reaps it:
 * it holds no resources but a pid.
 */
function hostPidsOfSandboxUid(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const uid = status.match(/^Uid:\s+(\d+)/m)?.[1];
      const zombie = /^State:\s+Z/m.test(status);
      if (
        uid === String(config.sandboxUid) &&
        !zombie &&
        !inIdleReadySandbox(entry)
      )
        pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * A pid namespace's init leaves its cgroup before it finishes reaping the killed processes of the
 * namespace, so give exiting processes a moment; anything still alive after that is a failure.
 */
async function sandboxProcessesAfterExit(): Promise<number[]> {
  const others = (pid: number) =>
    !hostVictims.some((victim) => victim.pid === pid);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (hostPidsOfSandboxUid().filter(others).length === 0) return [];
    await sleep(20);
  }
  return hostPidsOfSandboxUid().filter(others);
}

/** The workspace of the current (or last) run. */
let workspace: Workspace;
let launcherWorkspace: Workspace;
/** Each ready sandbox brings its own workspace; the previous one is removed when the next run starts. */
let readyWorkspace: Workspace | undefined;
let startedBy: "launcher" | "ready sandbox" = "launcher";
let cgroup: SandboxCgroup | undefined;
const hostVictims: ChildProcess[] = [];

async function takeReady(): Promise<ReadySandbox> {
  expect(await readySandboxReady(config)).toBe(true);
  const ready = takeReadySandbox(config)!;
  if (readyWorkspace) removeWorkspace(readyWorkspace);
  readyWorkspace = ready.workspace;
  return ready;
}

async function hostile(
  file: string,
  code: string,
  limits: Partial<Limits> = {},
  stdin = "",
): Promise<RunResult> {
  const ready = startedBy === "ready sandbox" ? await takeReady() : undefined;
  workspace = ready?.workspace ?? launcherWorkspace;
  writeWorkspaceFile(workspace, file, code, config);
  const result = await runInSandbox({
    argv: [file.endsWith(".py") ? PYTHON : BASH, file],
    workspace: workspace.dir,
    stdin,
    limits: { ...DEFAULT_LIMITS, wallMs: 5_000, cpuMs: 3_000, ...limits },
    config,
    ready,
    onCgroup: (created) => (cgroup = created),
  });
  if (ready) expect(cgroup!.name).toBe(ready.cgroup.name);
  expect(cgroup!.exists()).toBe(false);
  expect(cgroup!.pids()).toEqual([]);
  expect(await sandboxProcessesAfterExit()).toEqual([]);
  return result;
}

beforeAll(() => {
  launcherWorkspace = workspace = createWorkspace(config);
});

afterEach(() => {
  expect(leakedCgroups(config.cgroupParent)).toEqual([]);
});

afterAll(async () => {
  for (const victim of hostVictims) victim.kill("SIGKILL");
  removeWorkspace(launcherWorkspace);
  if (readyWorkspace) removeWorkspace(readyWorkspace);
  await closeWarmPools();
});

describe.each(["launcher", "ready sandbox"] as const)(
  "hostile programs, started by a %s",
  (how) => {
    beforeAll(() => {
      startedBy = how;
    });

    it("fork bomb: bounded by the pids cgroup, killed at the time limit", async () => {
      const result = await hostile(
        "bomb.sh",
        "bomb() { bomb | bomb & }; bomb; sleep 60",
        { wallMs: 3_000 },
      );
      expect(result.status).toBe("TO");
      // The runner still works right after.
      expect((await hostile("ok.sh", "echo alive")).stdout).toBe("alive\n");
    });

    it("memory bomb: ML", async () => {
      const result = await hostile(
        "mem.py",
        "chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 1024 * 1024))",
        {
          memoryBytes: 64 * 1024 * 1024,
        },
      );
      expect(result.status).toBe("ML");
      expect(result.memoryBytes).toBeGreaterThan(32 * 1024 * 1024);
      expect(result.memoryBytes).toBeLessThanOrEqual(64 * 1024 * 1024);
    });

    it("busy loop: the cpu limit gives TO", async () => {
      const result = await hostile("busy.py", "while True:\n    pass", {
        cpuMs: 1_000,
        wallMs: 10_000,
      });
      expect(result.status).toBe("TO");
      expect(result.message).toMatch(/cpu time limit/);
      expect(result.cpuMs).toBeGreaterThanOrEqual(1_000);
    });

    it("busy loop split over processes: the cpu limit counts the whole tree", async () => {
      const script = "for i in 1 2 3 4; do (while :; do :; done) & done; wait";
      const result = await hostile("busy.sh", script, {
        cpuMs: 1_000,
        wallMs: 20_000,
      });
      expect(result.status).toBe("TO");
      expect(result.message).toMatch(/cpu time limit/);
    });

    it("sleep: the wall limit gives TO", async () => {
      const result = await hostile("sleep.sh", "sleep 60", { wallMs: 1_000 });
      expect(result.status).toBe("TO");
      expect(result.message).toMatch(/wall time limit/);
    });

    it("endless output: truncated at the limit, OL", async () => {
      const result = await hostile("yes.sh", "yes", { outputBytes: 64 * 1024 });
      expect(result.status).toBe("OL");
      expect(result.truncated).toBe(true);
      expect(result.stdout.length + result.stderr.length).toBe(64 * 1024);
    });

    it("network: loopback, an outside address and DNS all fail", async () => {
      const server = net.createServer((socket) => socket.end("host says hi"));
      let connections = 0;
      server.on("connection", () => connections++);
      await new Promise<void>((resolve) =>
        server.listen(0, "127.0.0.1", resolve),
      );
      const port = (server.address() as net.AddressInfo).port;
      const code = `
import socket
def attempt(label, fn):
    try:
        fn()
        print(label, "REACHED")
    except OSError as error:
        print(label, "blocked", type(error).__name__)
def tcp(host, port):
    s = socket.socket(); s.settimeout(2); s.connect((host, port)); s.recv(10)
attempt("loopback", lambda: tcp("127.0.0.1", ${port}))
attempt("outside", lambda: tcp("192.0.2.1", 80))
attempt("dns", lambda: socket.getaddrinfo("example.com", 80))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.0.2.1", 53)))
`;
      try {
        const result = await hostile("net.py", code);
        expect(result.status).toBe("OK");
        expect(result.stdout).not.toMatch(/REACHED/);
        expect(result.stdout.match(/blocked/g)).toHaveLength(4);
        expect(connections).toBe(0);
      } finally {
        server.close();
      }
    });

    it("localhost is the sandbox's own loopback, and the host's hosts file is not there", async () => {
      const code = `
import socket
print(sorted({info[4][0] for info in socket.getaddrinfo("localhost", 80, proto=socket.IPPROTO_TCP)}))
print(open("/etc/hosts").read().split())
`;
      const result = await hostile("names.py", code);
      expect(result.status).toBe("OK");
      const [addresses, words] = result.stdout.trim().split("\n");
      expect(addresses).toBe("['127.0.0.1']");
      expect(words).toBe("['127.0.0.1', 'localhost', 'sandbox', '::1', 'localhost', 'ip6-localhost', 'ip6-loopback']");
    });

    it("reading /etc/shadow, /root, other workspaces and the runner's own files fails", async () => {
      const targets = [
        "/etc/shadow",
        "/root/.bashrc",
        "/root",
        "/home",
        runnerSource,
        path.dirname(workspace.dir),
      ];
      const code = `
import os
for target in ${JSON.stringify(targets)}:
    try:
        if os.path.isdir(target):
            print(target, "LISTED", os.listdir(target))
        else:
            with open(target, "rb") as f:
                print(target, "READ", len(f.read()))
    except OSError as error:
        print(target, "denied", type(error).__name__)
`;
      const result = await hostile("read.py", code);
      expect(result.status).toBe("OK");
      expect(result.stdout).not.toMatch(/LISTED|READ/);
      expect(result.stdout.match(/denied/g)).toHaveLength(targets.length);
    });

    it("writing outside the workspace and to / fails; /tmp writes stay in the sandbox", async () => {
      const marker = `autocrea-escape-${process.pid}-${Date.now()}`;
      const targets = [
        `/${marker}`,
        `/etc/${marker}`,
        `/usr/${marker}`,
        `/proc/${marker}`,
        `/dev/${marker}`,
      ];
      const code = `
for target in ${JSON.stringify(targets)}:
    try:
        open(target, "w").write("x")
        print(target, "WROTE")
    except OSError as error:
        print(target, "denied")
open("/tmp/${marker}", "w").write("sandbox tmp")
print("tmp ok")
`;
      const result = await hostile("write.py", code);
      expect(result.stdout).not.toMatch(/WROTE/);
      expect(result.stdout).toMatch(/tmp ok/);
      for (const target of [
        ...targets,
        path.join("/tmp", marker),
        path.join(os.tmpdir(), marker),
      ]) {
        expect(existsSync(target)).toBe(false);
      }
    });

    it("a symlink planted in the workspace is not followed when the runner reads or writes it", async () => {
      const hostFile = path.join(
        os.tmpdir(),
        `autocrea-hostfile-${process.pid}`,
      );
      writeFileSync(hostFile, "host only");
      const result = await hostile(
        "link.sh",
        `ln -s ${hostFile} planted; ln -s /etc/shadow shadow; ln -s /etc etc; echo done`,
      );
      expect(result.stdout).toBe("done\n");
      expect(() => readWorkspaceFile(workspace, "planted", 1024)).toThrow(
        /symlink/,
      );
      expect(() => readWorkspaceFile(workspace, "shadow", 1024)).toThrow(
        /symlink/,
      );
      expect(() => readWorkspaceFile(workspace, "etc/shadow", 1024)).toThrow(
        /not a directory/,
      );
      expect(() =>
        writeWorkspaceFile(workspace, "planted", "pwned", config),
      ).toThrow(/symlink/);
      expect(readFileSync(hostFile, "utf8")).toBe("host only");
    });

    it("disk fill past the file-size limit stops at the limit", async () => {
      const result = await hostile(
        "fill.sh",
        "head -c 64M /dev/zero > big; echo after",
        { fileSizeBytes: 4 * 1024 * 1024 },
      );
      expect(
        statSync(path.join(workspace.dir, "big")).size,
      ).toBeLessThanOrEqual(4 * 1024 * 1024);
      // bash ignores nothing: head dies of SIGXFSZ, the script goes on.
      expect(result.stdout).toBe("after\n");
      expect(result.stderr).toMatch(/File size limit exceeded/);
    });

    it("fd exhaustion stops at the nofile limit", async () => {
      const code = `
files = []
try:
    while True:
        files.append(open("/dev/null"))
except OSError as error:
    print(len(files), type(error).__name__)
`;
      const result = await hostile("fds.py", code, { nofile: 64 });
      expect(result.status).toBe("OK");
      const [count, error] = result.stdout.trim().split(" ");
      expect(Number(count)).toBeLessThan(64);
      expect(error).toBe("OSError");
    });

    it("the program has only stdin, stdout and stderr open", async () => {
      const result = await hostile("listfds.py", LIST_FDS_PY);
      expect(result.status).toBe("OK");
      expect(openFds(result.stdout)).toEqual([0, 1, 2]);
      expect(result.stdout).toContain(
        `ready-helper ${how === "ready sandbox" ? "True" : "False"}`,
      );
    });

    it("descriptors the runner inherited do not reach the sandbox", async () => {
      const modes =
        how === "ready sandbox"
          ? (["ready"] as const)
          : (["cold", "warm"] as const);
      for (const mode of modes) {
        const { result, hostFile, hostPipe } = await runWithInheritedFds(mode);
        expect(result.status).toBe("OK");
        expect(result.stdout).toContain(
          `ready-helper ${mode === "ready" ? "True" : "False"}`,
        );
        expect(openFds(result.stdout)).toEqual([0, 1, 2]);
        expect(result.stdout).not.toMatch(/host-secret|secret-file|inherited/);
        expect(hostFile).toBe("host-secret-0123456789\n");
        expect(hostPipe).toBe("");
      }
    });

    it("nested user namespaces and mounts fail", async () => {
      const script = [
        "unshare -U true 2>/dev/null && echo USERNS || echo userns-denied",
        "unshare -Ur true 2>/dev/null && echo USERNS-ROOT || echo userns-root-denied",
        "unshare -m true 2>/dev/null && echo MOUNTNS || echo mountns-denied",
        "mount -t tmpfs none /tmp 2>/dev/null && echo MOUNTED || echo mount-denied",
      ].join("\n");
      const result = await hostile("ns.sh", script);
      expect(result.stdout).toBe(
        "userns-denied\nuserns-root-denied\nmountns-denied\nmount-denied\n",
      );
    });

    it("kill -9 -1 kills only the sandbox, not a host process of the same uid nor the runner", async () => {
      const victim = spawn(
        "/usr/bin/setpriv",
        [
          `--reuid=${config.sandboxUid}`,
          `--regid=${config.sandboxGid}`,
          "--clear-groups",
          "/usr/bin/sleep",
          "60",
        ],
        {
          stdio: "ignore",
        },
      );
      hostVictims.push(victim);
      await sleep(100);
      const result = await hostile(
        "killall.sh",
        "sleep 30 & kill -9 -1; echo survived-self; wait",
      );
      expect(result.status).not.toBe("XX");
      expect(victim.exitCode).toBeNull();
      expect(victim.signalCode).toBeNull();
      expect(process.kill(victim.pid!, 0)).toBe(true);
      victim.kill("SIGKILL");
    });

    it("a daemonised child (setsid, double fork) does not survive the timeout", async () => {
      const script = [
        "setsid bash -c 'while :; do date +%s%N > alive1; sleep 0.05; done' < /dev/null > /dev/null 2>&1 &",
        "( ( nohup bash -c 'while :; do date +%s%N > alive2; sleep 0.05; done' < /dev/null > /dev/null 2>&1 & ) & )",
        "sleep 60",
      ].join("\n");
      const result = await hostile("daemon.sh", script, { wallMs: 1_000 });
      expect(result.status).toBe("TO");
      const before = [
        readFileSync(path.join(workspace.dir, "alive1"), "utf8"),
        readFileSync(path.join(workspace.dir, "alive2"), "utf8"),
      ];
      await sleep(300);
      const after = [
        readFileSync(path.join(workspace.dir, "alive1"), "utf8"),
        readFileSync(path.join(workspace.dir, "alive2"), "utf8"),
      ];
      expect(after).toEqual(before);
    });

    it("a daemon left behind by a program that exits normally is killed too", async () => {
      const script = [
        "setsid bash -c 'while :; do date +%s%N > alive3; sleep 0.05; done' < /dev/null > /dev/null 2>&1 &",
        "while [ ! -s alive3 ]; do sleep 0.01; done",
        "echo bye",
      ].join("\n");
      const result = await hostile("leave.sh", script);
      expect(result.status).toBe("OK");
      const before = readFileSync(path.join(workspace.dir, "alive3"), "utf8");
      await sleep(300);
      expect(readFileSync(path.join(workspace.dir, "alive3"), "utf8")).toBe(
        before,
      );
    });

    it("the runner's secrets are not in the sandbox's environment", async () => {
      process.env.RUNNER_SECRET = "fake-runner-secret-0123456789";
      try {
        const result = await hostile(
          "env.sh",
          "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'",
        );
        expect(result.status).toBe("OK");
        expect(result.stdout).toMatch(/^PATH=/m);
        expect(result.stdout).not.toMatch(/fake-runner-secret|RUNNER_SECRET/);
      } finally {
        delete process.env.RUNNER_SECRET;
      }
    });

    it("runs with no capabilities, no_new_privs, no extra groups and no core dumps", async () => {
      const script = [
        "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Groups):' /proc/self/status",
        'echo "core=$(ulimit -c)"',
        'echo "ids=$(id -u):$(id -g):$(id -G)"',
      ].join("\n");
      for (let run = 0; run < 3; run++) {
        const result = await hostile(`privs${run}.sh`, script);
        expect(result.status).toBe("OK");
        for (const field of [
          "CapInh",
          "CapPrm",
          "CapEff",
          "CapBnd",
          "CapAmb",
        ]) {
          expect(result.stdout).toMatch(new RegExp(`^${field}:\\s+0+$`, "m"));
        }
        expect(result.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
        expect(result.stdout).toMatch(/^Groups:\s*$/m);
        expect(result.stdout).toMatch(/^core=0$/m);
        expect(result.stdout).toMatch(
          new RegExp(
            `^ids=${config.sandboxUid}:${config.sandboxGid}:${config.sandboxGid}$`,
            "m",
          ),
        );
      }
    });

    it("each run's cgroup accounts that run alone, with that run's limits", async () => {
      // Alternating limits in consecutive runs: a recycled or shared cgroup would carry the previous ones.
      const burn =
        "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\nprint('done')";
      const first = await hostile("burn.py", burn, {
        memoryBytes: 64 * 1024 * 1024,
      });
      expect(first.status).toBe("OK");
      expect(first.cpuMs).toBeGreaterThanOrEqual(250);
      const small = await hostile("true.sh", "true", {
        memoryBytes: 64 * 1024 * 1024,
      });
      expect(small.status).toBe("OK");
      expect(small.cpuMs).toBeLessThan(first.cpuMs);
      const bomb = await hostile(
        "mem.py",
        "x = bytearray(96 * 1024 * 1024)\nprint(len(x))",
        { memoryBytes: 64 * 1024 * 1024 },
      );
      expect(bomb.status).toBe("ML");
      const roomy = await hostile(
        "mem.py",
        "x = bytearray(96 * 1024 * 1024)\nprint(len(x))",
        { memoryBytes: 256 * 1024 * 1024 },
      );
      expect(roomy.status).toBe("OK");
      expect(roomy.memoryBytes).toBeGreaterThan(96 * 1024 * 1024);
    });

    it("/tmp and /dev/shm are not shared between two runs", async () => {
      const first = await hostile(
        "tmp1.sh",
        "echo one > /tmp/shared && echo one > /dev/shm/shared && cat /tmp/shared /dev/shm/shared",
      );
      expect(first.stdout).toBe("one\none\n");
      const second = await hostile(
        "tmp2.sh",
        "ls -A /tmp /dev/shm; cat /tmp/shared /dev/shm/shared 2>&1 || true",
      );
      expect(second.stdout).not.toMatch(/^one$/m);
      expect(second.stdout).toMatch(/No such file/);
    });

    it("TIOCSTI cannot inject input into a terminal", async () => {
      const code = `
import fcntl, os, termios
def attempt(label, fd):
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"x")
        print(label, "INJECTED")
    except OSError as error:
        print(label, "refused", error.errno)
for fd in (0, 1, 2):
    attempt("fd%d" % fd, fd)
try:
    tty = os.open("/dev/tty", os.O_RDWR)
    attempt("tty", tty)
except OSError as error:
    print("tty refused", error.errno)
`;
      const result = await hostile("tiocsti.py", code);
      expect(result.status).toBe("OK");
      expect(result.stdout).not.toMatch(/INJECTED/);
      expect(result.stdout.match(/refused/g)).toHaveLength(4);
    });

    it("the seccomp filter is in force: dangerous system calls fail with EPERM, clone3 with ENOSYS", async () => {
      // Arguments are chosen so that each call fails differently without the filter (EFAULT, EINVAL,
      // ENOENT, EBADF, ENOTTY, ENOSPC, ENOTSUP): only the filter answers EPERM (ENOSYS for clone3).
      const code = `
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def ptr(data):
    return ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
def call(name, nr, *args):
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(arg) for arg in args])
    error = ctypes.get_errno()
    print(name, "ok" if result >= 0 else errno.errorcode.get(error, error))
devnull = os.open("/dev/null", os.O_RDWR)
call("keyctl", 250, 9999, 0, 0)
call("add_key", 248, 0, 0, 0, 0, 0)
call("request_key", 249, 0, 0, 0, 0)
call("bpf", 321, 9999, 0, 0)
call("perf_event_open", 298, 0, 0, -1, -1, 0)
call("userfaultfd", 323, 1 | 0x100000)
call("io_uring_setup", 425, 1, 0)
call("unshare", 272, 0x10000000)
call("setns", 308, -1, 0)
call("mount", 165, 0, ptr(b"/no-such-dir"), 0, 0, 0)
call("fsopen", 430, 0, 0)
call("clone", 56, 0x20000 | 0x200, 0, 0, 0, 0)
call("clone3", 435, 0, 0)
call("ioctl_TIOCSTI", 16, devnull, 0x5412, ptr(b"x"))
call("ioctl_TIOCSTI_high_bits", 16, devnull, 0x100005412, ptr(b"x"))
call("ioctl_TIOCLINUX", 16, devnull, 0x541C, ptr(b"x"))
call("ioctl_TIOCGWINSZ", 16, devnull, 0x5413, ptr(b"12345678"))
call("getpid", 39)
status = open("/proc/self/status").read()
print("Seccomp", [line.split()[1] for line in status.splitlines() if line.startswith("Seccomp:")][0])
`;
      const result = await hostile("seccomp.py", code);
      expect(result.status).toBe("OK");
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe(
        [
          "keyctl EPERM",
          "add_key EPERM",
          "request_key EPERM",
          "bpf EPERM",
          "perf_event_open EPERM",
          "userfaultfd EPERM",
          "io_uring_setup EPERM",
          "unshare EPERM",
          "setns EPERM",
          "mount EPERM",
          "fsopen EPERM",
          "clone EPERM",
          "clone3 ENOSYS",
          "ioctl_TIOCSTI EPERM",
          "ioctl_TIOCSTI_high_bits EPERM",
          "ioctl_TIOCLINUX EPERM",
          // Other ioctls reach the kernel (/dev/null is no terminal).
          "ioctl_TIOCGWINSZ ENOTTY",
          "getpid ok",
          "Seccomp 2",
          "",
        ].join("\n"),
      );
      // The tools report it too.
      const tools = await hostile(
        "seccomp.sh",
        "unshare -U true 2>&1; mount -t tmpfs none /no-such-dir 2>&1; echo done",
      );
      expect(tools.stdout).toMatch(/unshare failed: Operation not permitted/);
      expect(tools.stdout).toMatch(/done\n$/);
    });

    it("the seccomp filter refuses other system call ABIs: i386 (int 0x80) kills the process, x32 fails", async () => {
      // mov eax, 20 (i386 getpid); int 0x80; ret — called in a forked child.
      const code = `
import ctypes, errno, mmap, os, signal
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
result = libc.syscall(ctypes.c_long(0x40000000 | 39))
print("x32_getpid", "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno()))
pid = os.fork()
if pid == 0:
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3]))
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    i386_getpid = ctypes.CFUNCTYPE(ctypes.c_int)(address)
    print("int80", "returned", i386_getpid(), flush=True)
    os._exit(0)
_, status = os.waitpid(pid, 0)
if os.WIFSIGNALED(status):
    print("int80", "killed by", signal.Signals(os.WTERMSIG(status)).name)
else:
    print("int80", "exited", os.WEXITSTATUS(status))
`;
      // A kernel built without the i386 ABI (no IA32 emulation) kills int 0x80 with SIGSEGV before
      // any filter sees it: then that is what the sandbox shows too. Where the host runs it, the
      // filter must be what kills it.
      const host = execFileSync("python3", ["-c", code], { encoding: "utf8" });
      const int80OnHost = /^int80 (.*)$/m.exec(host)![1];
      const expected = int80OnHost === "killed by SIGSEGV" ? "SIGSEGV" : "SIGSYS";
      if (expected === "SIGSYS") expect(int80OnHost).toMatch(/^returned \d+$/);
      const result = await hostile("abi.py", code);
      expect(result.status).toBe("OK");
      expect(result.stdout).toBe(
        `x32_getpid EPERM\nint80 killed by ${expected}\n`,
      );
    });

    it("the seccomp filter allows only the socket families a sandbox needs: the others fail with EAFNOSUPPORT", async () => {
      // Without the filter, on a kernel that has them, AF_VSOCK works for anyone (and reaches past
      // the network namespace), AF_PACKET and AF_XDP fail with EPERM and an AF_INET socketpair with
      // EOPNOTSUPP: only the filter answers EAFNOSUPPORT for all of them.
      const code = `
import ctypes, errno, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def attempt(name, family, type_=socket.SOCK_STREAM, proto=0, pair=False):
    try:
        if pair:
            a, b = socket.socketpair(family, type_, proto)
            a.close(); b.close()
        else:
            socket.socket(family, type_, proto).close()
        print(name, "ok")
    except OSError as error:
        print(name, errno.errorcode.get(error.errno, error.errno))
def raw(name, family):
    ctypes.set_errno(0)
    fd = libc.syscall(ctypes.c_long(41), ctypes.c_long(family), ctypes.c_long(socket.SOCK_STREAM), ctypes.c_long(0))
    print(name, "ok" if fd >= 0 else errno.errorcode.get(ctypes.get_errno()))
attempt("AF_VSOCK", 40)
attempt("AF_VSOCK_DGRAM", 40, socket.SOCK_DGRAM)
attempt("AF_PACKET", 17, socket.SOCK_RAW)
attempt("AF_XDP", 44, socket.SOCK_RAW)
attempt("AF_BLUETOOTH", 31, socket.SOCK_RAW, 1)
attempt("AF_ALG", 38, socket.SOCK_SEQPACKET)
attempt("AF_KEY", 15, socket.SOCK_RAW, 2)
attempt("AF_UNSPEC", 0)
attempt("socketpair_AF_INET", 2, pair=True)
attempt("socketpair_AF_VSOCK", 40, pair=True)
raw("AF_VSOCK_high_bits", (1 << 32) | 40)
attempt("AF_UNIX", 1)
attempt("AF_UNIX_DGRAM", 1, socket.SOCK_DGRAM)
attempt("AF_INET", 2)
attempt("AF_INET_DGRAM", 2, socket.SOCK_DGRAM)
attempt("AF_INET6", 10)
attempt("AF_NETLINK_ROUTE", 16, socket.SOCK_RAW, 0)
attempt("socketpair_AF_UNIX", 1, pair=True)
raw("AF_INET_high_bits", (1 << 32) | 2)
`;
      const result = await hostile("families.py", code);
      expect(result.status).toBe("OK");
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe(
        [
          "AF_VSOCK EAFNOSUPPORT",
          "AF_VSOCK_DGRAM EAFNOSUPPORT",
          "AF_PACKET EAFNOSUPPORT",
          "AF_XDP EAFNOSUPPORT",
          "AF_BLUETOOTH EAFNOSUPPORT",
          "AF_ALG EAFNOSUPPORT",
          "AF_KEY EAFNOSUPPORT",
          "AF_UNSPEC EAFNOSUPPORT",
          "socketpair_AF_INET EAFNOSUPPORT",
          "socketpair_AF_VSOCK EAFNOSUPPORT",
          "AF_VSOCK_high_bits EAFNOSUPPORT",
          "AF_UNIX ok",
          "AF_UNIX_DGRAM ok",
          "AF_INET ok",
          "AF_INET_DGRAM ok",
          "AF_INET6 ok",
          "AF_NETLINK_ROUTE ok",
          "socketpair_AF_UNIX ok",
          "AF_INET_high_bits ok",
          "",
        ].join("\n"),
      );
    });

    it("ordinary programs still work under the seccomp filter", async () => {
      const python = `
import os, shutil, socket, subprocess, tempfile, threading
with open("/workspace/data.txt", "w") as f:
    f.write("hello")
with open("/workspace/data.txt") as f:
    assert f.read() == "hello"
with tempfile.TemporaryDirectory() as tmp:
    shutil.move("/workspace/data.txt", os.path.join(tmp, "moved"))
    assert open(os.path.join(tmp, "moved")).read() == "hello"
pid = os.fork()
if pid == 0:
    os._exit(7)
assert os.WEXITSTATUS(os.waitpid(pid, 0)[1]) == 7
results = []
threads = [threading.Thread(target=lambda i=i: results.append(i * i)) for i in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
assert sorted(results) == [i * i for i in range(8)]
print(subprocess.run(["/bin/echo", "subprocess"], capture_output=True, text=True).stdout.strip())
a, b = socket.socketpair()
a.sendall(b"pair"); assert b.recv(4) == b"pair"
server = socket.socket(socket.AF_UNIX); server.bind("\\0autocrea-test"); server.listen()
try:
    socket.create_connection(("192.0.2.1", 80), timeout=1)
    print("network REACHED")
except OSError as error:
    print("network blocked", error.errno != 1)
print("python ok")
`;
      const node = `
const fs = require("fs"), cp = require("child_process"), { Worker } = require("worker_threads");
fs.writeFileSync("/tmp/n.txt", "x".repeat(100000));
fs.promises.readFile("/tmp/n.txt", "utf8").then(async (text) => {
  await fs.promises.writeFile("/workspace/n2.txt", text);
  const echoed = cp.execFileSync("/bin/echo", ["child"]).toString().trim();
  const worker = new Worker("require('worker_threads').parentPort.postMessage(6 * 7)", { eval: true });
  worker.on("message", (value) => console.log("node ok", text.length, echoed, value));
});
`;
      const result = await hostile(
        "ordinary.sh",
        [
          `cat > ordinary.py <<'PY'\n${python}\nPY`,
          `cat > ordinary.js <<'JS'\n${node}\nJS`,
          "python3 ordinary.py",
          "node ordinary.js",
          // libuv may try io_uring for file operations; it must fall back cleanly when refused.
          "UV_USE_IO_URING=1 node ordinary.js",
          "java -version > /dev/null 2>&1 && echo java ok",
        ].join("\n"),
      );
      expect(result.stderr).toBe("");
      expect(result.status).toBe("OK");
      expect(result.stdout).toBe(
        "subprocess\nnetwork blocked True\npython ok\nnode ok 100000 child 42\nnode ok 100000 child 42\njava ok\n",
      );
    });
  },
);
