import { spawn, type ChildProcess } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Readable } from "node:stream";
import type { RunnerConfig } from "../config.js";
import type { Limits } from "../limits.js";
import { SandboxCgroup } from "./cgroup.js";
import { getRunnerConfig } from "../config.js";
import {
  execRequestArgs,
  sandboxCommand,
  sandboxRunArgs,
  type ReadOnlyBind,
} from "./command.js";
import type { ReadySandbox } from "./ready-pool.js";
import {
  takeWarmLauncher,
  WARM_STATUS_FD,
  type WarmLauncher,
} from "./warm-pool.js";

import type { RunResult, RunStatus } from "./result.js";

export type { RunResult, RunStatus };

export interface RunSpec {
  argv: string[];
  /** Host directory bound at /workspace. */
  workspace: string;
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string | Buffer;
  limits: Limits;
  readOnlyBinds?: ReadOnlyBind[];
  /** The session's door to the package gateway (see SandboxCommandSpec.gatewaySocket). */
  gatewaySocket?: string | null;
  config?: RunnerConfig;
  /** Called with the cgroup once created (tests use it to check that nothing is left behind). */
  onCgroup?: (cgroup: SandboxCgroup) => void;
  /**
   * A ready sandbox (ready-pool.ts) to run in, whose workspace must be `workspace`; the run owns it
   * from now on. If it cannot be used the run starts as without it.
   */
  ready?: ReadySandbox;
  /**
   * False: start cold, never from a warm launcher. Those are pooled per RunnerConfig and already
   * run as its uid; a session's own uid (sessions/sandbox-core.ts) has no pool of its own.
   */
  warmLauncher?: boolean;
  /**
   * Aborting it ends the run at once, as the wall time limit does: the whole cgroup is killed and the
   * run resolves (status XX, "aborted") once the cgroup is removed. An already aborted signal still
   * takes the run's sandbox (ready or warm) and kills it straight away, so the pools stay consistent.
   */
  signal?: AbortSignal;
}

/** A process started ahead of the run: a ready sandbox, or a warm launcher. */
type Prestarted =
  | { kind: "sandbox"; sandbox: ReadySandbox }
  | { kind: "launcher"; launcher: WarmLauncher };

const STATUS_FD = WARM_STATUS_FD;
const CPU_POLL_MS = 100;

function signalName(signo: number): string | null {
  const entry = Object.entries(osConstants.signals).find(
    ([, value]) => value === signo,
  );
  return entry ? entry[0] : null;
}

/**
 * bubblewrap reports a child killed by signal N as exit code 128+N (as shells do), so a program
 * that itself exits with 129..192 is reported as that signal. This is the usual convention.
 */
function decodeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
): { exitCode: number | null; signal: string | null } {
  if (signal) return { exitCode: null, signal };
  if (code !== null && code > 128 && code <= 128 + 64) {
    const name = signalName(code - 128);
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode: code, signal: null };
}

/** Runs one program in a fresh sandbox and cgroup, which are always removed before this resolves. */
export async function runInSandbox(spec: RunSpec): Promise<RunResult> {
  const { limits } = spec;
  const started = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;
  const prestarted = await takePrestarted(spec);
  let cgroup: SandboxCgroup;
  if (prestarted) {
    cgroup =
      prestarted.kind === "sandbox"
        ? prestarted.sandbox.cgroup
        : prestarted.launcher.cgroup;
  } else {
    try {
      cgroup = SandboxCgroup.create(limits, spec.config?.cgroupParent);
    } catch (error) {
      return internalError(
        `cannot create the sandbox cgroup: ${(error as Error).message}`,
        elapsedMs(),
      );
    }
  }
  spec.onCgroup?.(cgroup);
  try {
    return await runInCgroup(spec, cgroup, elapsedMs, prestarted);
  } finally {
    await cgroup.remove();
  }
}

/**
 * The run's ready sandbox, else a warm launcher (warm-pool.ts), whose fresh cgroup now carries this
 * run's limits and fresh accounting; or undefined (then the run starts cold). One that cannot be
 * prepared is discarded.
 */
async function takePrestarted(spec: RunSpec): Promise<Prestarted | undefined> {
  const { ready } = spec;
  if (ready) {
    // A sandbox that died after it was taken (its helper can no longer exec anything) is replaced.
    const fits =
      ready.workspace.dir === spec.workspace &&
      !spec.readOnlyBinds?.length &&
      spec.gatewaySocket === undefined &&
      ready.child.exitCode === null &&
      ready.child.signalCode === null;
    if (fits && (await prepareCgroup(ready, spec)))
      return { kind: "sandbox", sandbox: ready };
    if (!fits) await discard(ready);
  }
  if (spec.warmLauncher === false) return undefined;
  const warm = takeWarmLauncher(spec.config ?? getRunnerConfig());
  if (warm && (await prepareCgroup(warm, spec)))
    return { kind: "launcher", launcher: warm };
  return undefined;
}

async function prepareCgroup(
  prestarted: { child: ChildProcess; cgroup: SandboxCgroup },
  spec: RunSpec,
): Promise<boolean> {
  try {
    prestarted.cgroup.setLimits(spec.limits);
    prestarted.cgroup.resetAccounting();
    if (prestarted.cgroup.oomKilled())
      throw new Error("prestarted cgroup saw an OOM kill");
    return true;
  } catch {
    await discard(prestarted);
    return false;
  }
}

async function discard(prestarted: {
  child: ChildProcess;
  cgroup: SandboxCgroup;
}): Promise<void> {
  prestarted.child.kill("SIGKILL");
  await prestarted.cgroup.remove().catch(() => undefined);
}

function internalError(
  message: string,
  wallMs: number,
  stderr = "",
): RunResult {
  return {
    stdout: "",
    stderr,
    exitCode: null,
    signal: null,
    status: "XX",
    message,
    wallMs,
    cpuMs: 0,
    memoryBytes: 0,
    truncated: false,
  };
}

function startChild(
  spec: RunSpec,
  cgroup: SandboxCgroup,
  prestarted: Prestarted | undefined,
): ChildProcess {
  if (prestarted?.kind === "sandbox") {
    prestarted.sandbox.start(execRequestArgs(spec));
    return prestarted.sandbox.child;
  }
  const runSpec = {
    argv: spec.argv,
    workspace: spec.workspace,
    cwd: spec.cwd,
    env: spec.env,
    limits: spec.limits,
    readOnlyBinds: spec.readOnlyBinds,
    gatewaySocket: spec.gatewaySocket,
    statusFd: STATUS_FD,
    config: spec.config,
  };
  if (prestarted) {
    prestarted.launcher.start(sandboxRunArgs(runSpec));
    return prestarted.launcher.child;
  }
  const command = sandboxCommand({ ...runSpec, cgroup });
  return spawn(command.file, command.args, {
    env: command.env,
    stdio: ["pipe", "pipe", "pipe", "pipe"],
  });
}

function runInCgroup(
  spec: RunSpec,
  cgroup: SandboxCgroup,
  elapsedMs: () => number,
  prestarted: Prestarted | undefined,
): Promise<RunResult> {
  const { limits } = spec;
  return new Promise<RunResult>((resolve) => {
    let child: ChildProcess;
    try {
      child = startChild(spec, cgroup, prestarted);
    } catch (error) {
      resolve(
        internalError(
          `cannot start the sandbox: ${(error as Error).message}`,
          elapsedMs(),
        ),
      );
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let truncated = false;
    let ownStatus = "";
    // A ready sandbox's status (bubblewrap's child-pid) was collected by its pool before the run.
    const status = () =>
      prestarted?.kind === "sandbox" ? prestarted.sandbox.status() : ownStatus;
    let stopReason: { status: "TO" | "OL" | "XX"; message: string } | null = null;
    let spawnError: Error | null = null;

    const stop = (reason: { status: "TO" | "OL" | "XX"; message: string }) => {
      stopReason ??= reason;
      void cgroup.killAll();
      // The launcher joins the cgroup before anything else, but kill the direct child in case it has not yet.
      child.kill("SIGKILL");
    };

    const collect = (target: Buffer[]) => (chunk: Buffer) => {
      if (truncated) return;
      const room = limits.outputBytes - outputBytes;
      if (chunk.length > room) {
        if (room > 0) target.push(chunk.subarray(0, room));
        outputBytes = limits.outputBytes;
        truncated = true;
        stop({
          status: "OL",
          message: `output exceeded ${limits.outputBytes} bytes`,
        });
        return;
      }
      target.push(chunk);
      outputBytes += chunk.length;
    };
    child.stdout!.on("data", collect(stdout));
    child.stderr!.on("data", collect(stderr));
    if (prestarted?.kind !== "sandbox") {
      (child.stdio[STATUS_FD] as Readable).on("data", (chunk: Buffer) => {
        ownStatus += chunk.toString("utf8");
      });
    }
    child.stdin!.on("error", () => {
      // The program may exit or close stdin without reading it all (EPIPE): not an error of the run.
    });
    child.stdin!.end(spec.stdin ?? "");

    const wallTimer = setTimeout(
      () =>
        stop({
          status: "TO",
          message: `wall time limit of ${limits.wallMs} ms exceeded`,
        }),
      limits.wallMs,
    );
    const abort = () =>
      stop({ status: "XX", message: "the run was aborted (its client went away or its session ended)" });
    if (spec.signal?.aborted) abort();
    else spec.signal?.addEventListener("abort", abort, { once: true });
    // CPU is checked against the whole tree's usage; RLIMIT_CPU alone would only bound each process.
    let cpuPoll: NodeJS.Timeout | undefined;
    const cpuStart = setTimeout(
      () => {
        cpuPoll = setInterval(() => {
          if (cgroup.cpuUsageMs() > limits.cpuMs) {
            stop({
              status: "TO",
              message: `cpu time limit of ${limits.cpuMs} ms exceeded`,
            });
          }
        }, CPU_POLL_MS);
      },
      Math.min(limits.cpuMs, limits.wallMs),
    );

    child.on("error", (error) => {
      spawnError = error;
    });
    child.on("exit", () => {
      // Anything still alive (it should not be: bwrap's pid namespace dies with it) goes now.
      void cgroup.killAll();
    });
    child.on("close", (code, signal) => {
      spec.signal?.removeEventListener("abort", abort);
      clearTimeout(wallTimer);
      clearTimeout(cpuStart);
      clearInterval(cpuPoll);
      const wallMs = elapsedMs();
      const sandboxStarted = status().includes('"child-pid"');
      const stderrText = Buffer.concat(stderr).toString("utf8");
      if (spawnError) {
        resolve(
          internalError(
            `cannot start the sandbox: ${spawnError.message}`,
            wallMs,
            stderrText,
          ),
        );
        return;
      }
      if (!sandboxStarted && !stopReason) {
        resolve(
          internalError(
            `the sandbox failed to start: ${stderrText.trim() || `exit code ${code}`}`,
            wallMs,
            stderrText,
          ),
        );
        return;
      }
      const cpuMs = Math.round(cgroup.cpuUsageMs());
      const memoryBytes = cgroup.peakMemoryBytes();
      const { exitCode, signal: signalText } = decodeExit(code, signal);
      let runStatus: RunStatus;
      let message: string | null = null;
      if (stopReason) {
        runStatus = stopReason.status;
        message = stopReason.message;
      } else if (cgroup.oomKilled()) {
        runStatus = "ML";
        message = `memory limit of ${limits.memoryBytes} bytes exceeded`;
      } else if (signalText === "SIGXCPU" || cpuMs > limits.cpuMs) {
        runStatus = "TO";
        message = `cpu time limit of ${limits.cpuMs} ms exceeded`;
      } else if (signalText === "SIGXFSZ") {
        runStatus = "OL";
        message = `file size limit of ${limits.fileSizeBytes} bytes exceeded`;
      } else if (signalText) {
        runStatus = "SG";
      } else if (exitCode !== 0) {
        runStatus = "RE";
      } else {
        runStatus = "OK";
      }
      resolve({
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: stderrText,
        exitCode,
        signal: signalText,
        status: runStatus,
        message,
        wallMs: Math.round(wallMs),
        cpuMs,
        memoryBytes,
        truncated,
      });
    });
  });
}
