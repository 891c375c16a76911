import { randomBytes } from "node:crypto";
import { HttpError, notFound } from "../server/http-error";
import { Terminal } from "../pty/terminal";
import type { AppProcess, AppStartSpec, AppStatus } from "./app-process";
import { STOPPED_APP_STATUS } from "./app-status";
import type { SessionSandbox, SessionCommand, SessionRunResult, SessionFiles, SessionWorkspace } from "./sandbox";

export interface SessionManagerOptions {
  sandbox: SessionSandbox;
  /** A session unused for this long (no request, no terminal input, no client attached) is removed. */
  idleTtlMs: number;
  maxSessions: number;
  /** How often expired sessions are looked for. */
  sweepIntervalMs?: number;
  scrollbackBytes?: number;
  /** A running app nobody reached (no proxied request, no status read) for this long is stopped. */
  appIdleTtlMs?: number;
  clock?: () => number;
}

export const DEFAULT_APP_IDLE_TTL_MS = 10 * 60_000;

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly workspace: string;
  /** The session's own uid and gid, freed when it ends (sandbox-core.ts). */
  readonly uid: number;
  /** Its door to the package gateway, if the runner has one. */
  readonly gatewaySocket?: string;
  readonly createdAt: number;
  lastUsedAt: number;
  running: number;
  /** Aborted when the session ends: stops its commands that are still running. */
  readonly ended: AbortController;
  /** Its sandboxed work in progress (commands, deletes, an exited terminal's cleanup): waited for before its workspace and uid go. */
  readonly inFlight: Set<Promise<unknown>>;
  terminal: { instance: Terminal; cleanup: () => Promise<void> } | null;
  /** Its app (a server the live preview shows), created on first start. */
  app: AppProcess | null;
}

export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * Sessions: a persistent workspace per session, commands run in it one
 * sandbox each, and at most one terminal kept alive across reconnects.
 * Everything a session started is removed when it is deleted or expires.
 */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly creating = new Set<Promise<unknown>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly clock: () => number;
  private closed = false;

  constructor(private readonly options: SessionManagerOptions) {
    this.clock = options.clock ?? Date.now;
    const interval = options.sweepIntervalMs ?? Math.min(30_000, Math.max(250, options.idleTtlMs / 4));
    this.sweeper = setInterval(() => void this.sweep(), interval);
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async create(userId: string): Promise<Session> {
    if (this.closed) throw new HttpError(503, "shutting_down", "The runner is shutting down.");
    if (this.sessions.size + this.creating.size >= this.options.maxSessions) {
      throw new HttpError(
        429,
        "too_many_sessions",
        `The runner already holds its maximum of ${this.options.maxSessions} sessions; delete one or try later.`,
      );
    }
    const pending = this.options.sandbox.createWorkspace();
    this.creating.add(pending);
    let workspace: SessionWorkspace;
    try {
      workspace = await pending;
    } finally {
      this.creating.delete(pending);
    }
    if (this.closed) {
      await this.options.sandbox.removeWorkspace(workspace);
      throw new HttpError(503, "shutting_down", "The runner is shutting down.");
    }
    const now = this.clock();
    const session: Session = {
      id: randomBytes(16).toString("base64url"),
      userId,
      workspace: workspace.dir,
      uid: workspace.uid,
      gatewaySocket: workspace.gatewaySocket,
      createdAt: now,
      lastUsedAt: now,
      running: 0,
      ended: new AbortController(),
      inFlight: new Set(),
      terminal: null,
      app: null,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session, marked as used; 404 when it does not exist (or expired). */
  get(id: string): Session {
    const session = SESSION_ID_PATTERN.test(id) ? this.sessions.get(id) : undefined;
    if (!session) throw notFound("Session not found (it may have expired).");
    session.lastUsedAt = this.clock();
    return session;
  }

  async writeFiles(id: string, files: SessionFiles): Promise<void> {
    const session = this.get(id);
    await track(session, this.options.sandbox.writeFiles(own(session), files, session.ended.signal));
    session.lastUsedAt = this.clock();
  }

  async readFile(id: string, relPath: string, maxBytes: number): Promise<Buffer> {
    const session = this.get(id);
    return this.options.sandbox.readFile(own(session), relPath, maxBytes);
  }

  /** Runs one command; it ends early when the session ends or `signal` (the request's client went away) aborts. */
  async runCommand(id: string, command: SessionCommand, signal?: AbortSignal): Promise<SessionRunResult> {
    const session = this.get(id);
    session.running++;
    try {
      const stop = signal ? AbortSignal.any([session.ended.signal, signal]) : session.ended.signal;
      return await track(session, this.options.sandbox.runCommand(own(session), command, stop));
    } finally {
      session.running--;
      session.lastUsedAt = this.clock();
    }
  }

  /** The session's terminal, started on first use and kept until the session ends or the shell exits. */
  terminal(id: string, size?: { cols: number; rows: number }): Terminal {
    const session = this.get(id);
    if (session.terminal && !session.terminal.instance.exited) return session.terminal.instance;
    if (session.terminal) void track(session, session.terminal.cleanup());
    const command = this.options.sandbox.terminalCommand(own(session));
    const instance = new Terminal(command, {
      ...size,
      scrollbackBytes: this.options.scrollbackBytes,
      onActivity: () => {
        session.lastUsedAt = this.clock();
      },
      onExit: () => {
        if (session.terminal?.instance === instance) {
          const { cleanup } = session.terminal;
          session.terminal = null;
          void track(session, cleanup());
        }
      },
    });
    session.terminal = { instance, cleanup: command.cleanup };
    return instance;
  }

  /** Starts (or restarts) the session's app; resolves with its state once it is installing or starting. */
  async startApp(id: string, spec: AppStartSpec): Promise<AppStatus> {
    const session = this.get(id);
    session.app ??= this.options.sandbox.createApp(own(session));
    await session.app.start(spec);
    return session.app.status();
  }

  appStatus(id: string): AppStatus {
    const app = this.get(id).app;
    if (!app) return STOPPED_APP_STATUS;
    app.lastUsedAt = this.clock();
    return app.status();
  }

  appLogs(id: string, since: number): { text: string; next: number } {
    return this.get(id).app?.logSince(since) ?? { text: "", next: 0 };
  }

  async stopApp(id: string): Promise<void> {
    await this.get(id).app?.stop();
  }

  /** Where the session's running app is reached; 409 when it is not running. */
  appTarget(id: string): { linkSocket: string; port: number } {
    const app = this.get(id).app;
    const status = app?.status();
    if (!app || !status || status.state !== "ready") {
      throw new HttpError(409, "app_not_running", `The app is ${status?.state ?? "stopped"}; start it first.`);
    }
    app.lastUsedAt = this.clock();
    return { linkSocket: app.linkSocket, port: status.port! };
  }

  async delete(id: string): Promise<void> {
    const session = this.get(id);
    await this.remove(session);
  }

  /** Stops apps nobody reached for their idle TTL, then removes every session idle for longer than the TTL. */
  async sweep(): Promise<number> {
    const now = this.clock();
    const appIdleTtlMs = this.options.appIdleTtlMs ?? DEFAULT_APP_IDLE_TTL_MS;
    await Promise.all(
      [...this.sessions.values()]
        .filter((s) => s.app?.running && now - s.app.lastUsedAt > appIdleTtlMs)
        .map((s) => s.app!.stop(`stopped: nobody looked at it for ${Math.round(appIdleTtlMs / 60_000)} min`)),
    );
    const expired = [...this.sessions.values()].filter(
      (s) => s.running === 0 && !s.terminal?.instance.attached && now - s.lastUsedAt > this.options.idleTtlMs,
    );
    await Promise.all(expired.map((s) => this.remove(s)));
    return expired.length;
  }

  /** Shutdown: no new sessions, every existing one removed. */
  async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.allSettled([...this.creating]);
    await Promise.all([...this.sessions.values()].map((s) => this.remove(s)));
  }

  private async remove(session: Session): Promise<void> {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    session.ended.abort();
    const terminal = session.terminal;
    session.terminal = null;
    try {
      if (terminal) {
        terminal.instance.kill();
        await terminal.cleanup();
      }
      await session.app?.dispose();
    } finally {
      // Its commands were aborted above; each settles once its cgroup is removed (no process of the
      // session's uid left to write into the workspace or to count against the uid's next session).
      await Promise.allSettled([...session.inFlight]);
      await this.options.sandbox.removeWorkspace(own(session));
    }
  }
}

function own(session: Session): SessionWorkspace {
  return { dir: session.workspace, uid: session.uid, gatewaySocket: session.gatewaySocket };
}


function track<T>(session: Session, work: Promise<T>): Promise<T> {
  session.inFlight.add(work);
  return work.finally(() => session.inFlight.delete(work));
}
