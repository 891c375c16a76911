import { existsSync, lstatSync, readlinkSync } from "node:fs";
import path from "node:path";
import { getRunnerConfig, type RunnerConfig } from "../config.js";
import { MAX_LIMITS, type Limits } from "../limits.js";
import { GATEWAY_PORT_IN_SANDBOX, GATEWAY_SOCKET_IN_SANDBOX } from "../gateway/config.js";
import { GATEWAY_SANDBOX_ENV, NO_GATEWAY_SANDBOX_ENV } from "../gateway/gateway.js";
import { gatewayLinkPath, launcherPath } from "./launcher.js";
import { sandboxEtcDir } from "./sandbox-etc.js";
import { seccompFilterPath } from "./seccomp.js";

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
  /**
   * A terminal: the program keeps the controlling terminal it is started on (no --new-session), so
   * job control and ^C work. Only for a PTY that the sandbox itself owns (nothing outside reads its input).
   */
  interactive?: boolean;
  /** If set, bubblewrap reports `{"child-pid": …}` then `{"exit-code": …}` as JSON on this fd. */
  statusFd?: number;
  /**
   * Host path of the session's door to the package gateway (gateway/door.ts). The sandbox then
   * starts with gateway-link, which forwards 127.0.0.1:4873 inside it to this socket, and package
   * managers are pointed there (GATEWAY_SANDBOX_ENV). Without it the sandbox reaches nothing;
   * `null` says so to npm too (a session whose runner has no gateway: NO_GATEWAY_SANDBOX_ENV).
   */
  gatewaySocket?: string | null;
  config?: RunnerConfig;
}

export interface SandboxCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

const SYSTEM_TOP_LEVEL = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/**
 * The part of the bubblewrap command line that is the same for every run, computed once per config
 * (except /etc, whose prepared copy is refreshed when the host's entries change).
 * Interactive sandboxes (terminals) keep their controlling terminal: no --new-session.
 */
function buildStaticBwrapArgs(
  config: RunnerConfig,
  interactive: boolean,
): { head: string[]; tail: string[] } {
  const head = [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    ...(interactive ? [] : ["--new-session"]),
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
    if (stat.isSymbolicLink())
      head.push("--symlink", readlinkSync(hostPath), hostPath);
    else if (stat.isDirectory()) head.push("--ro-bind", hostPath, hostPath);
  }
  // /dev is a fresh tmpfs with only the safe devices; it is made read-only (except /dev/shm) like /.
  const tail = [
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/dev/shm",
    "--remount-ro",
    "/dev",
    "--tmpfs",
    "/tmp",
  ];
  return { head, tail };
}

const staticArgsCache = new WeakMap<
  RunnerConfig,
  Map<boolean, { head: string[]; tail: string[] }>
>();

function staticBwrapArgs(config: RunnerConfig, interactive: boolean): string[] {
  let byMode = staticArgsCache.get(config);
  if (!byMode) {
    byMode = new Map();
    staticArgsCache.set(config, byMode);
  }
  let args = byMode.get(interactive);
  if (!args) {
    args = buildStaticBwrapArgs(config, interactive);
    byMode.set(interactive, args);
  }
  return [
    ...args.head,
    "--ro-bind",
    sandboxEtcDir(config),
    "/etc",
    ...args.tail,
  ];
}

export const DEFAULT_SANDBOX_ENV: Readonly<Record<string, string>> =
  Object.freeze({
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: SANDBOX_WORKSPACE,
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    USER: "sandbox",
  });

/** What the launcher needs besides identity and cgroups: the rlimits, then bubblewrap's command line. */
export type SandboxRunSpec = Omit<SandboxCommandSpec, "cgroup">;

function checkProgram(argv: string[]): void {
  if (argv.length === 0 || !path.isAbsolute(argv[0])) {
    throw new Error(
      "sandboxCommand: argv[0] must be an absolute path inside the sandbox",
    );
  }
}

/** The launcher's (and the exec helper's) rlimit options: `--cpu S:H --fsize N --nofile N`. */
function rlimitArgs(limits: Limits): string[] {
  const cpuSoftSeconds = Math.ceil(limits.cpuMs / 1000) + 1;
  return [
    "--cpu",
    `${cpuSoftSeconds}:${cpuSoftSeconds + 1}`,
    "--fsize",
    String(limits.fileSizeBytes),
    "--nofile",
    String(limits.nofile),
  ];
}

/**
 * The launcher's `--keep-fd` options: the descriptors above stderr that it passes on to bubblewrap.
 * It marks every other one close-on-exec (whatever the runner itself inherited), so each descriptor
 * the runner wires up for bubblewrap or the program must be named here.
 */
function keepFdArgs(fds: number[]): string[] {
  return fds.flatMap((fd) => ["--keep-fd", String(fd)]);
}

/**
 * The descriptor at which the launcher opens the seccomp filter (seccomp.ts) for bubblewrap's
 * `--seccomp`: above every descriptor the runner wires up (status 3, a warm launcher's request 4, a
 * ready sandbox's pipes 4 and 5) and below the smallest RLIMIT_NOFILE a run may have (MIN_LIMITS).
 */
export const SECCOMP_FD = 6;

/** The launcher's `--open-fd` for the filter; bubblewrap reads it to its end and closes it. */
function seccompLauncherArgs(config: RunnerConfig): string[] {
  return ["--open-fd", `${SECCOMP_FD}:${seccompFilterPath(config)}`];
}

/** bubblewrap's seccomp option: every process of the sandbox runs under the filter. */
const SECCOMP_BWRAP_ARGS = ["--seccomp", String(SECCOMP_FD)];

/** bubblewrap's namespaces and mounts: the system, the workspace, extra read-only binds, then / read-only. */
function mountArgs(
  config: RunnerConfig,
  interactive: boolean,
  workspace: string,
  readOnlyBinds: ReadOnlyBind[],
): string[] {
  const args = [
    ...staticBwrapArgs(config, interactive),
    "--bind",
    workspace,
    SANDBOX_WORKSPACE,
  ];
  for (const bind of readOnlyBinds)
    args.push("--ro-bind", bind.source, bind.dest);
  args.push("--remount-ro", "/");
  return args;
}

function sandboxEnv(
  env: Record<string, string> | undefined,
): [string, string][] {
  return Object.entries({ ...DEFAULT_SANDBOX_ENV, ...env });
}

/**
 * The launcher arguments that describe one run:
 * `--cpu S:H --fsize N --nofile N [--keep-fd STATUS_FD] --open-fd 6:FILTER -- bwrap --seccomp 6 … -- program…`.
 * A warm launcher (warm-pool.ts) receives exactly these over its request pipe.
 */
export function sandboxRunArgs(spec: SandboxRunSpec): string[] {
  const config = spec.config ?? getRunnerConfig();
  checkProgram(spec.argv);
  const gateway = typeof spec.gatewaySocket === "string" ? gatewayParts(spec.gatewaySocket) : undefined;
  const noGateway = spec.gatewaySocket === null ? NO_GATEWAY_SANDBOX_ENV : undefined;
  const bwrapArgs = mountArgs(
    config,
    spec.interactive ?? false,
    spec.workspace,
    [...(spec.readOnlyBinds ?? []), ...(gateway?.binds ?? [])],
  );
  bwrapArgs.push("--chdir", spec.cwd ?? SANDBOX_WORKSPACE);
  for (const [key, value] of sandboxEnv({ ...noGateway, ...gateway?.env, ...spec.env }))
    bwrapArgs.push("--setenv", key, value);
  if (spec.statusFd !== undefined)
    bwrapArgs.push("--json-status-fd", String(spec.statusFd));
  return [
    ...rlimitArgs(spec.limits),
    ...keepFdArgs(spec.statusFd === undefined ? [] : [spec.statusFd]),
    ...seccompLauncherArgs(config),
    "--",
    config.bwrapPath,
    ...SECCOMP_BWRAP_ARGS,
    ...bwrapArgs,
    "--",
    ...(gateway?.argvPrefix ?? []),
    ...spec.argv,
  ];
}

/** Where gateway-link is bound, read-only, in a sandbox that reaches the package gateway. */
export const GATEWAY_LINK_IN_SANDBOX = "/.gateway-link";

/** What a door to the package gateway adds to a sandbox: two read-only binds, a first program, the registry settings. */
function gatewayParts(socket: string): { binds: ReadOnlyBind[]; argvPrefix: string[]; env: Record<string, string> } {
  if (!path.isAbsolute(socket)) throw new Error("sandboxCommand: the gateway socket must be an absolute host path");
  return {
    binds: [
      { source: socket, dest: GATEWAY_SOCKET_IN_SANDBOX },
      { source: gatewayLinkPath(), dest: GATEWAY_LINK_IN_SANDBOX },
    ],
    argvPrefix: [GATEWAY_LINK_IN_SANDBOX, String(GATEWAY_PORT_IN_SANDBOX), GATEWAY_SOCKET_IN_SANDBOX, "--"],
    env: { ...GATEWAY_SANDBOX_ENV },
  };
}

/** Where a ready sandbox's exec helper (launcher/sandbox-exec.c) is bound, read-only. */
export const EXEC_HELPER_IN_SANDBOX = "/.sandbox-exec";

export interface ReadySandboxSpec {
  workspace: string;
  /** Host path of sandbox-exec. */
  helper: string;
  statusFd: number;
  readyFd: number;
  requestFd: number;
  config?: RunnerConfig;
}

/**
 * The launcher arguments of a ready sandbox (ready-pool.ts): the same sandbox as sandboxRunArgs
 * builds for a non-interactive run without extra binds, whose program is the exec helper. The
 * rlimits are the most a request may ask for; the helper lowers them to the run's before it execs.
 */
export function readySandboxArgs(spec: ReadySandboxSpec): string[] {
  const config = spec.config ?? getRunnerConfig();
  return [
    ...rlimitArgs(MAX_LIMITS),
    ...keepFdArgs([spec.statusFd, spec.readyFd, spec.requestFd]),
    ...seccompLauncherArgs(config),
    "--",
    config.bwrapPath,
    ...SECCOMP_BWRAP_ARGS,
    ...mountArgs(config, false, spec.workspace, [
      { source: spec.helper, dest: EXEC_HELPER_IN_SANDBOX },
    ]),
    "--chdir",
    SANDBOX_WORKSPACE,
    "--json-status-fd",
    String(spec.statusFd),
    "--",
    EXEC_HELPER_IN_SANDBOX,
    String(spec.readyFd),
    String(spec.requestFd),
  ];
}

/** What a ready sandbox's exec helper receives: the run's rlimits, directory, environment and program. */
export function execRequestArgs(
  spec: Pick<SandboxRunSpec, "argv" | "cwd" | "env" | "limits">,
): string[] {
  checkProgram(spec.argv);
  const env = sandboxEnv(spec.env);
  // bubblewrap's --setenv refuses these too (setenv(3)); NUL cannot cross an argv or the request.
  for (const [key] of env)
    if (key === "" || key.includes("="))
      throw new Error(`invalid environment variable name "${key}"`);
  const args = [
    ...rlimitArgs(spec.limits),
    "--chdir",
    spec.cwd ?? SANDBOX_WORKSPACE,
    ...env.flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    "--",
    ...spec.argv,
  ];
  if (args.some((arg) => arg.includes("\0")))
    throw new Error(
      "the program, its arguments and environment must not contain NUL bytes",
    );
  return args;
}

/** The launcher's own options: who to become and which cgroup.procs files to join first. */
export function launcherIdentityArgs(
  config: RunnerConfig,
  cgroup: { procsFiles: string[] },
): string[] {
  if (
    cgroup.procsFiles.length === 0 ||
    cgroup.procsFiles.some((file) => !path.isAbsolute(file))
  ) {
    throw new Error(
      "sandboxCommand: the cgroup must name absolute cgroup.procs files",
    );
  }
  return [
    "--uid",
    String(config.sandboxUid),
    "--gid",
    String(config.sandboxGid),
    ...cgroup.procsFiles.flatMap((file) => ["--cgroup", file]),
  ];
}

/** The environment the launcher starts with (bubblewrap clears it for the program anyway). */
export const LAUNCHER_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/bin:/bin",
});

/**
 * The full argv that starts a sandboxed process:
 * sandbox-launch (joins the cgroups, sets rlimits cpu/fsize/nofile/core, drops to the unprivileged
 * uid/gid with no groups, no capabilities and no_new_privs, opens the seccomp filter) → bwrap
 * (namespaces, read-only system, rw workspace, the seccomp filter) → program.
 * Hand `file`/`args`/`env` to child_process.spawn or node-pty unchanged.
 */
export function sandboxCommand(spec: SandboxCommandSpec): SandboxCommand {
  const config = spec.config ?? getRunnerConfig();
  const runArgs = sandboxRunArgs(spec);
  return {
    file: launcherPath(),
    args: [...launcherIdentityArgs(config, spec.cgroup), ...runArgs],
    env: { ...LAUNCHER_ENV },
  };
}
