import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getRunnerConfig, type RunnerConfig } from "../config.js";
import type { Limits } from "../limits.js";

/** Where the workspace appears inside every sandbox. */
export const SANDBOX_WORKSPACE = "/workspace";

export interface ReadOnlyBind {
  source: string;
  dest: string;
}

export interface SandboxCommandSpec {
  /** Program and arguments; argv[0] is an absolute path as seen inside the sandbox. */
  argv: string[];
  /** Host directory bound read-write at /workspace. */
  workspace: string;
  /** Working directory inside the sandbox (default /workspace). */
  cwd?: string;
  /** Extra environment for the program; the sandbox starts from an empty environment. */
  env?: Record<string, string>;
  limits: Limits;
  /** The cgroup the process joins before anything else runs (see SandboxCgroup.procsFiles). */
  cgroup: { procsFiles: string[] };
  /** Extra read-only binds (e.g. a compiler that lives outside the system dirs). */
  readOnlyBinds?: ReadOnlyBind[];
  /** If set, bubblewrap reports `{"child-pid": …}` then `{"exit-code": …}` as JSON on this fd. */
  statusFd?: number;
  config?: RunnerConfig;
}

export interface SandboxCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

function resolveTool(name: string): string {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error(`sandbox tool "${name}" not found in /usr/bin, /bin, /usr/sbin, /sbin or /usr/local/bin`);
}

interface HostTools {
  shell: string;
  prlimit: string;
  setpriv: string;
}

let tools: HostTools | undefined;

function hostTools(): HostTools {
  tools ??= { shell: resolveTool("sh"), prlimit: resolveTool("prlimit"), setpriv: resolveTool("setpriv") };
  return tools;
}

/**
 * Joins the cgroup(s) first — so that nothing the program later forks can escape them —
 * then execs the rest of the chain. $1 is a ':'-separated list of cgroup.procs files.
 */
const JOIN_CGROUP_AND_EXEC =
  'IFS=:; for f in $1; do echo $$ >"$f" || { echo "sandbox: cannot join cgroup $f" >&2; exit 125; }; done; shift; exec "$@"';

const SYSTEM_TOP_LEVEL = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];
const ETC_ENTRIES = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "nsswitch.conf"];

function sandboxIdentityFiles(config: RunnerConfig): { passwd: string; group: string } {
  const dir = path.join(config.stateDir, "etc");
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const passwd = path.join(dir, "passwd");
  const group = path.join(dir, "group");
  writeFileSync(passwd, `sandbox:x:${config.sandboxUid}:${config.sandboxGid}:sandbox:${SANDBOX_WORKSPACE}:/bin/sh\n`, {
    mode: 0o644,
  });
  writeFileSync(group, `sandbox:x:${config.sandboxGid}:\n`, { mode: 0o644 });
  return { passwd, group };
}

/** The part of the bubblewrap command line that is the same for every run, computed once per config. */
function buildStaticBwrapArgs(config: RunnerConfig): string[] {
  const args = [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    "--hostname",
    "sandbox",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  for (const name of SYSTEM_TOP_LEVEL) {
    const hostPath = `/${name}`;
    if (!existsSync(hostPath)) continue;
    const stat = lstatSync(hostPath);
    if (stat.isSymbolicLink()) args.push("--symlink", readlinkSync(hostPath), hostPath);
    else if (stat.isDirectory()) args.push("--ro-bind", hostPath, hostPath);
  }
  const etcEntries = [
    ...ETC_ENTRIES,
    // JDK configuration lives in /etc/java-<n>-openjdk on Debian; the JDK's conf/ links into it.
    ...readdirSync("/etc").filter((name) => name.startsWith("java")),
  ];
  for (const name of etcEntries) {
    const hostPath = path.join("/etc", name);
    if (existsSync(hostPath)) args.push("--ro-bind", hostPath, hostPath);
  }
  const identity = sandboxIdentityFiles(config);
  args.push("--ro-bind", identity.passwd, "/etc/passwd", "--ro-bind", identity.group, "/etc/group");
  // /dev is a fresh tmpfs with only the safe devices; it is made read-only (except /dev/shm) like /.
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm", "--remount-ro", "/dev", "--tmpfs", "/tmp");
  return args;
}

const staticArgsCache = new WeakMap<RunnerConfig, string[]>();

function staticBwrapArgs(config: RunnerConfig): string[] {
  let args = staticArgsCache.get(config);
  if (!args) {
    args = buildStaticBwrapArgs(config);
    staticArgsCache.set(config, args);
  }
  return args;
}

export const DEFAULT_SANDBOX_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: SANDBOX_WORKSPACE,
  TMPDIR: "/tmp",
  LANG: "C.UTF-8",
  USER: "sandbox",
});

/**
 * The full argv that starts a sandboxed process:
 * sh (joins the cgroup) → prlimit (cpu, fsize, nofile, core) → setpriv (unprivileged uid/gid, no caps)
 * → bwrap (namespaces, read-only system, rw workspace) → program.
 * Hand `file`/`args`/`env` to child_process.spawn or node-pty unchanged.
 */
export function sandboxCommand(spec: SandboxCommandSpec): SandboxCommand {
  const config = spec.config ?? getRunnerConfig();
  const { shell, prlimit, setpriv } = hostTools();
  if (spec.argv.length === 0 || !path.isAbsolute(spec.argv[0])) {
    throw new Error("sandboxCommand: argv[0] must be an absolute path inside the sandbox");
  }
  if (spec.cgroup.procsFiles.some((file) => file.includes(":"))) {
    throw new Error("sandboxCommand: cgroup paths must not contain ':'");
  }
  const { limits } = spec;
  const cpuSoftSeconds = Math.ceil(limits.cpuMs / 1000) + 1;
  const bwrapArgs = [...staticBwrapArgs(config), "--bind", spec.workspace, SANDBOX_WORKSPACE];
  for (const bind of spec.readOnlyBinds ?? []) bwrapArgs.push("--ro-bind", bind.source, bind.dest);
  bwrapArgs.push("--remount-ro", "/", "--chdir", spec.cwd ?? SANDBOX_WORKSPACE);
  for (const [key, value] of Object.entries({ ...DEFAULT_SANDBOX_ENV, ...spec.env })) {
    bwrapArgs.push("--setenv", key, value);
  }
  if (spec.statusFd !== undefined) bwrapArgs.push("--json-status-fd", String(spec.statusFd));

  return {
    file: shell,
    args: [
      "-c",
      JOIN_CGROUP_AND_EXEC,
      "sandbox",
      spec.cgroup.procsFiles.join(":"),
      prlimit,
      `--cpu=${cpuSoftSeconds}:${cpuSoftSeconds + 1}`,
      `--fsize=${limits.fileSizeBytes}`,
      `--nofile=${limits.nofile}`,
      "--core=0",
      "--",
      setpriv,
      `--reuid=${config.sandboxUid}`,
      `--regid=${config.sandboxGid}`,
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
      "--",
      config.bwrapPath,
      ...bwrapArgs,
      "--",
      ...spec.argv,
    ],
    env: { PATH: "/usr/bin:/bin" },
  };
}
