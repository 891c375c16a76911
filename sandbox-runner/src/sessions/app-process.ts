import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import type { Readable } from "node:stream";
import type { RunnerConfig } from "../config";
import { MAX_LIMITS, type Limits } from "../limits";
import { logger as defaultLogger, type Logger } from "../log";
import { Scrollback } from "../pty/scrollback";
import { SandboxCgroup } from "../sandbox/cgroup";
import { sandboxCommand } from "../sandbox/command";
import { appLinkPath } from "../sandbox/launcher";
import { readWorkspaceFile } from "../sandbox/workspace";
import type { AppState, AppStatus } from "./app-status";

export type { AppState, AppStatus };

/**
 * A session's app: the project's server (a dev server, an API) running in the session's sandbox
 * as a long-lived process, with an install first when the manifest or lockfile changed since the
 * last one. The app listens on 127.0.0.1:PORT inside its own network namespace; app-link (a
 * root-started helper that joins that namespace and drops to the session's uid) makes it reachable
 * from the runner only, through a Unix socket in a directory only root can enter.
 *
 *   installing → starting → ready            (the port answers HTTP)
 *        ↓           ↓         ↓
 *      failed      failed    crashed          (install failed / never listened / exited)
 *   … → stopped                               (asked to, idle, session ended)
 *
 * There is no wall-clock limit; memory, pids and the per-process cpu limit still apply, and the
 * session manager stops an app nobody used for `idleMs`.
 */

export interface AppStartSpec {
  /** The app's command (argv[0] absolute, or a name looked up on PATH). */
  argv: string[];
  /** Where it listens inside the sandbox. */
  port: number;
  env?: Record<string, string>;
  /** Run before the app when the manifest or lockfile changed since the last successful install. */
  install?: string[];
}

/** The app's processes: generous, but a runaway still cannot take the host. */
export const APP_LIMITS: Readonly<Limits> = Object.freeze({
  ...MAX_LIMITS,
  wallMs: MAX_LIMITS.wallMs, // not enforced for apps; the idle stop ends them
  cpuMs: 24 * 3600_000,
  memoryBytes: 2048 * 1024 * 1024,
  pids: 512,
  nofile: 1024,
});

export const DEFAULT_APP_START_TIMEOUT_MS = 90_000;
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const LOG_BYTES = 256 * 1024;
const READY_POLL_MS = 250;
/** Files whose content decides whether an install is due. */
const INSTALL_INPUTS = ["package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "requirements.txt"];

export interface AppProcessOptions {
  workspace: string;
  /** The session's identity and sandbox settings. */
  config: RunnerConfig;
  /** The session's door to the package gateway; null when the runner has none. */
  gatewaySocket?: string | null;
  /** A directory only root can enter, for the app's link socket. */
  linkDir: string;
  startTimeoutMs?: number;
  /** Default: the runner's logger (src/log.ts). */
  logger?: Logger;
  /** Why a failed install may have failed beyond its own output ("the workspace is full…"), or "". */
  outOfSpace?: () => Promise<string>;
}

/** The log: the last LOG_BYTES bytes of install and app output, with a running byte count. */
class AppLog {
  private readonly ring = new Scrollback(LOG_BYTES);
  total = 0;

  write(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    this.ring.write(bytes);
    this.total += bytes.length;
  }

  /** What was written after byte `since` (as much of it as is still kept). */
  since(since: number): { text: string; next: number } {
    const kept = this.ring.contents();
    const start = Math.max(0, kept.length - Math.max(0, this.total - since));
    return { text: kept.subarray(start).toString("utf8"), next: this.total };
  }

  tail(lines: number): string {
    return this.ring.contents().toString("utf8").split("\n").slice(-lines - 1).join("\n").trim();
  }
}

export class AppProcess {
  private state: AppState = "stopped";
  private pending: Promise<void> = Promise.resolve();
  private port: number | null = null;
  private message: string | null = null;
  private exitCode: number | null = null;
  private signal: string | null = null;
  private startedAt: number | null = null;
  private readyAt: number | null = null;
  private readonly log = new AppLog();
  private child: ChildProcess | null = null;
  private link: ChildProcess | null = null;
  private cgroup: SandboxCgroup | null = null;
  /** Bumped on every start and stop, so late events of an older start change nothing. */
  private generation = 0;
  private lastInstallHash: string | null = null;
  readonly linkSocket: string;
  lastUsedAt = Date.now();

  constructor(private readonly options: AppProcessOptions) {
    this.linkSocket = path.join(options.linkDir, "app.sock");
  }

  status(): AppStatus {
    return {
      state: this.state,
      port: this.port,
      message: this.message,
      exitCode: this.exitCode,
      signal: this.signal,
      startedAt: this.startedAt,
      readyAt: this.readyAt,
      logBytes: this.log.total,
      logTail: this.state === "crashed" || this.state === "failed" ? this.log.tail(30) : "",
    };
  }

  logSince(since: number): { text: string; next: number } {
    return this.log.since(since);
  }

  get running(): boolean {
    return this.state === "installing" || this.state === "starting" || this.state === "ready";
  }

  /**
   * Starts and stops run one at a time, in the order asked: two restarts asked at once (a save and
   * the preview's own restart, say) would otherwise interleave and leave one app running unseen.
   */
  private serialize(operation: () => Promise<void>): Promise<void> {
    const next = this.pending.then(operation, operation);
    this.pending = next.catch(() => undefined);
    return next;
  }

  /** (Re)starts the app: stops a running one first. Resolves once it is starting (not ready). */
  start(spec: AppStartSpec): Promise<void> {
    return this.serialize(() => this.startNow(spec));
  }

  private async startNow(spec: AppStartSpec): Promise<void> {
    await this.stopNow("restarted");
    const generation = ++this.generation;
    this.port = spec.port;
    this.message = null;
    this.exitCode = null;
    this.signal = null;
    this.startedAt = Date.now();
    this.readyAt = null;
    this.lastUsedAt = Date.now();
    if (spec.install && this.installHash() !== this.lastInstallHash) {
      this.state = "installing";
      this.log.write(`$ ${spec.install.join(" ")}\n`);
      void this.install(spec, generation);
      return;
    }
    this.launch(spec, generation);
  }

  /** Stops the app and its link; the state becomes `stopped` with `reason` logged. */
  stop(reason = "stopped"): Promise<void> {
    return this.serialize(() => this.stopNow(reason));
  }

  private async stopNow(reason: string): Promise<void> {
    this.generation++;
    const { child, link, cgroup } = this;
    this.child = this.link = this.cgroup = null;
    if (this.running) {
      this.state = "stopped";
      this.message = null;
      this.log.write(`\n[app ${reason}]\n`);
    }
    link?.kill("SIGKILL");
    child?.kill("SIGKILL");
    if (cgroup) {
      await cgroup.killAll().catch(() => undefined);
      await cgroup.remove().catch(() => undefined);
    }
    rmSync(this.linkSocket, { force: true });
  }

  /** Stops the app for good (the session ends) and removes its link directory. */
  async dispose(): Promise<void> {
    await this.stop("stopped: the session ended");
    rmSync(this.options.linkDir, { recursive: true, force: true });
  }

  /** Hash of the install inputs present in the workspace. */
  private installHash(): string {
    const hash = createHash("sha256");
    for (const file of INSTALL_INPUTS) {
      try {
        hash.update(file).update(readWorkspaceFile({ dir: this.options.workspace }, file, 64 * 1024 * 1024));
      } catch {
        hash.update(`${file}:absent`);
      }
    }
    return hash.digest("hex");
  }

  private spawnSandboxed(argv: string[], env: Record<string, string> | undefined, limits: Limits) {
    const { config, workspace, gatewaySocket } = this.options;
    const cgroup = SandboxCgroup.create(limits, config.cgroupParent);
    const argvInSandbox = path.isAbsolute(argv[0]!) ? argv : ["/usr/bin/env", "--", ...argv];
    const command = sandboxCommand({ argv: argvInSandbox, workspace, env, limits, cgroup, config, gatewaySocket, statusFd: 3 });
    const child = spawn(command.file, command.args, { env: { ...command.env } as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe", "pipe"] });
    child.stdout!.on("data", (chunk: Buffer) => this.log.write(chunk));
    child.stderr!.on("data", (chunk: Buffer) => this.log.write(chunk));
    child.on("error", (error) => this.log.write(`[cannot start the sandbox: ${error.message}]\n`));
    return { child, cgroup };
  }

  private async install(spec: AppStartSpec, generation: number): Promise<void> {
    const { child, cgroup } = this.spawnSandboxed(spec.install!, spec.env, { ...APP_LIMITS, cpuMs: INSTALL_TIMEOUT_MS });
    this.child = child;
    this.cgroup = cgroup;
    const timer = setTimeout(() => {
      if (this.generation !== generation) return;
      this.log.write(`\n[the install took longer than ${INSTALL_TIMEOUT_MS / 60_000} minutes and was stopped]\n`);
      child.kill("SIGKILL");
      void cgroup.killAll();
    }, INSTALL_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
    clearTimeout(timer);
    await cgroup.remove().catch(() => undefined);
    if (this.generation !== generation) return;
    this.child = this.cgroup = null;
    if (code !== 0) {
      const full = (await this.options.outOfSpace?.()) ?? "";
      if (this.generation !== generation) return;
      const why = full ? `. ${full.replace("[runner] ", "").trim()}` : "; see the log.";
      this.fail("failed", `The install (${spec.install!.join(" ")}) failed${code === null ? "" : ` with exit code ${code}`}${why}`);
      return;
    }
    // Taken after the install: it may have written the lockfile.
    this.lastInstallHash = this.installHash();
    this.launch(spec, generation);
  }

  private launch(spec: AppStartSpec, generation: number): void {
    this.state = "starting";
    this.log.write(`$ ${spec.argv.join(" ")}\n`);
    const { child, cgroup } = this.spawnSandboxed(spec.argv, { PORT: String(spec.port), HOST: "127.0.0.1", ...spec.env }, APP_LIMITS);
    this.child = child;
    this.cgroup = cgroup;
    let status = "";
    (child.stdio[3] as Readable).on("data", (chunk: Buffer) => {
      status += chunk.toString("utf8");
      const match = /"child-pid":\s*(\d+)/.exec(status);
      if (match && this.link === null && this.generation === generation) this.startLink(Number(match[1]), cgroup, spec.port, generation);
    });
    child.on("close", (code, signal) => {
      if (this.generation !== generation) return;
      const exit = code !== null && code > 128 ? { exitCode: null, signal: `signal ${code - 128}` } : { exitCode: code, signal };
      this.exitCode = exit.exitCode;
      this.signal = exit.signal;
      const how = exit.exitCode !== null ? `exit code ${exit.exitCode}` : `${exit.signal}`;
      if (cgroup.oomKilled()) this.fail("crashed", `The app ran out of memory (${APP_LIMITS.memoryBytes / 1024 / 1024} MiB) and was stopped.`);
      else if (this.state === "ready") this.fail("crashed", `The app exited (${how}).`);
      else this.fail("crashed", `The app exited (${how}) before it listened on port ${spec.port}.`);
    });
    void this.waitReady(spec.port, generation);
  }

  private startLink(pid: number, cgroup: SandboxCgroup, port: number, generation: number): void {
    const { config, linkDir } = this.options;
    let netns: number;
    try {
      netns = openSync(`/proc/${pid}/ns/net`, "r");
    } catch {
      return; // the sandbox is already gone; its close event reports it
    }
    try {
      // The pid was the sandbox's when bubblewrap reported it; make sure it still is (not reused).
      if (!cgroup.pids().includes(pid)) return;
      mkdirSync(linkDir, { recursive: true, mode: 0o700 });
      const link = spawn(appLinkPath(), ["3", String(config.sandboxUid), String(config.sandboxGid), this.linkSocket, String(port)], {
        stdio: ["ignore", "ignore", "pipe", netns],
      });
      link.stderr!.on("data", (chunk: Buffer) => (this.options.logger ?? defaultLogger).warn({ line: chunk.toString("utf8").trim() }, "app link"));
      link.on("exit", () => {
        if (this.link === link) this.link = null;
      });
      if (this.generation === generation) this.link = link;
      else link.kill("SIGKILL");
    } finally {
      closeSync(netns);
    }
  }

  /** Polls the port through the link until any HTTP answer, the app's exit, or the start timeout. */
  private async waitReady(port: number, generation: number): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? DEFAULT_APP_START_TIMEOUT_MS);
    while (this.generation === generation && this.state === "starting") {
      if (Date.now() > deadline) {
        const seconds = Math.round((this.options.startTimeoutMs ?? DEFAULT_APP_START_TIMEOUT_MS) / 1000);
        await this.serialize(async () => {
          // A restart queued meanwhile owns the app now.
          if (this.generation !== generation) return;
          await this.stopNow("stopped: it never listened");
          this.fail("failed", `The app did not answer HTTP on port ${port} within ${seconds} s; is it listening on that port (the PORT variable)?`);
        });
        return;
      }
      if (this.link && (await this.answers())) {
        if (this.generation !== generation || this.state !== "starting") return;
        this.state = "ready";
        this.readyAt = Date.now();
        this.log.write(`[app ready on port ${port}]\n`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = httpRequest({ socketPath: this.linkSocket, path: "/", method: "HEAD", timeout: 2000, agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
      req.end();
    });
  }

  private fail(state: "failed" | "crashed", message: string): void {
    this.state = state;
    this.message = message;
    this.log.write(`\n[${message}]\n`);
    const { link, cgroup } = this;
    this.link = this.child = this.cgroup = null;
    link?.kill("SIGKILL");
    if (cgroup) void cgroup.killAll().then(() => cgroup.remove()).catch(() => undefined);
  }
}
