import { spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log";
import type { GatewayConfig } from "./config";

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRY = path.join(PACKAGE_ROOT, "src/gateway/registry-main.ts");
const READY_TIMEOUT_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Runs the registry server (registry-main.ts) as its own unprivileged uid and keeps it running:
 * a crash is logged and followed by a restart after 1, 2, 4 … 30 s. Its socket is in a directory
 * only that uid can enter (the runner, root, connects for the doors).
 */
export class RegistryProcess {
  readonly socket: string;
  private child: ChildProcess | null = null;
  private closed = false;
  private restartDelayMs = 1000;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
  ) {
    this.socket = path.join(config.socketDir, "registry", "registry.sock");
  }

  /** Starts the server; resolves once it listens, rejects if it cannot start. */
  async start(): Promise<void> {
    const { config } = this;
    for (const dir of [config.socketDir, config.cacheDir]) {
      const blocked = closedAncestor(dir, config.uid);
      if (blocked) {
        throw new Error(`${dir} is inside ${blocked}, which the registry server's uid ${config.uid} cannot enter; choose a directory it can reach (RUNNER_STATE_DIR, RUNNER_GATEWAY_CACHE_DIR)`);
      }
    }
    mkdirSync(config.socketDir, { recursive: true, mode: 0o711 });
    for (const dir of [path.dirname(this.socket), config.cacheDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chownSync(dir, config.uid, config.gid);
    }
    await this.spawnOnce();
  }

  private spawnOnce(): Promise<void> {
    const { config } = this;
    const child = spawn(process.execPath, ["--import", "tsx", ENTRY], {
      cwd: PACKAGE_ROOT,
      uid: config.uid,
      gid: config.gid,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: config.cacheDir,
        NODE_ENV: "production",
        // What reaching the upstreams from this host may need: a CA of its own, a proxy.
        ...Object.fromEntries(
          ["NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"].flatMap((key) =>
            process.env[key] ? [[key, process.env[key]!]] : [],
          ),
        ),
        REGISTRY_SETTINGS: JSON.stringify({
          upstreams: config.npmUpstreams,
          storage: path.join(config.cacheDir, "npm"),
          socket: this.socket,
        }),
      },
    });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the registry server did not start within ${READY_TIMEOUT_MS / 1000} s`));
      }, READY_TIMEOUT_MS);
      const lastLines: string[] = [];
      const remember = (line: string) => {
        lastLines.push(line);
        if (lastLines.length > 20) lastLines.shift();
      };
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!ready && line === "ready") {
          ready = true;
          this.restartDelayMs = 1000;
          clearTimeout(timer);
          resolve();
          return;
        }
        remember(line);
        this.logger.warn({ line: line.slice(0, 2000) }, "gateway: the registry server says");
      });
      createInterface({ input: child.stderr! }).on("line", (line) => {
        remember(line);
        this.logger.warn({ line: line.slice(0, 2000) }, "gateway: the registry server says");
      });
      child.on("error", (error) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`cannot start the registry server: ${error.message}`));
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        if (!ready) {
          reject(new Error(`the registry server exited (${signal ?? code}) before it was ready: ${lastLines.slice(-5).join(" | ")}`));
          return;
        }
        if (this.closed) return;
        this.logger.error({ exit: signal ?? code, restartInMs: this.restartDelayMs }, "gateway: the registry server exited; restarting");
        this.restartTimer = setTimeout(() => {
          this.spawnOnce().catch((error: Error) => this.logger.error({ err: error }, "gateway: restarting the registry server failed"));
        }, this.restartDelayMs);
        this.restartDelayMs = Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS);
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
  }
}

/** The first existing ancestor of `dir` (itself excluded) that `uid` cannot search, or null. */
function closedAncestor(dir: string, uid: number): string | null {
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    try {
      const stat = statSync(parent);
      const searchable = stat.uid === uid ? stat.mode & 0o100 : stat.mode & 0o001;
      if (!searchable) return parent;
    } catch {
      // Not there yet: it will be made by the runner.
    }
    if (parent === path.dirname(parent)) return null;
  }
}
