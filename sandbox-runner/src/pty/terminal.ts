import * as pty from "node-pty";
import type { WebSocket } from "ws";
import { decodeFrame, encodeData, encodeExit, FLOW_CONTROL_HIGH_WATER } from "./protocol";
import { Scrollback } from "./scrollback";

export interface TerminalCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

export interface TerminalOptions {
  cols?: number;
  rows?: number;
  scrollbackBytes?: number;
  /** Unacknowledged output above which the PTY is paused. */
  highWater?: number;
  /** Called once when the shell has exited (the session then drops the terminal). */
  onExit?: (code: number) => void;
  /** Called on any input or resize from the client, so the session counts as used. */
  onActivity?: () => void;
}

export const DEFAULT_SCROLLBACK_BYTES = 256 * 1024;
const MAX_COLS = 1000;
const MAX_ROWS = 500;

/** WebSocket close codes of our own (4000–4999 are for applications). */
export const CloseCode = { replaced: 4000, exited: 4001, sessionEnded: 4002 } as const;

/**
 * One sandboxed shell on a PTY, outliving the sockets that watch it: a client
 * may disconnect and reconnect and gets the scrollback replayed. Output is
 * flow-controlled: past `highWater` unacknowledged bytes the PTY is paused
 * (the program blocks on write) until the client ACKs.
 */
export class Terminal {
  private readonly pty: pty.IPty;
  private readonly scrollback: Scrollback;
  private readonly highWater: number;
  private socket: WebSocket | null = null;
  private unacked = 0;
  private paused = false;
  private exitCode: number | null = null;

  constructor(
    command: TerminalCommand,
    private readonly options: TerminalOptions = {},
  ) {
    this.scrollback = new Scrollback(options.scrollbackBytes ?? DEFAULT_SCROLLBACK_BYTES);
    this.highWater = options.highWater ?? FLOW_CONTROL_HIGH_WATER;
    this.pty = pty.spawn(command.file, command.args, {
      name: "xterm-256color",
      cols: options.cols ?? 80,
      rows: options.rows ?? 24,
      env: command.env,
      // Buffers, not strings: output is forwarded byte for byte, never re-encoded.
      encoding: null,
    });
    this.pty.onData((chunk) => this.onOutput(chunk as unknown as Buffer));
    this.pty.onExit(({ exitCode }) => this.onShellExit(exitCode));
  }

  get pid(): number {
    return this.pty.pid;
  }

  get exited(): boolean {
    return this.exitCode !== null;
  }

  get attached(): boolean {
    return this.socket !== null;
  }

  /** Makes `socket` the terminal's one client (a previous one is closed) and replays the scrollback. */
  attach(socket: WebSocket): void {
    if (this.socket) this.socket.close(CloseCode.replaced, "Another client attached to this terminal.");
    this.socket = socket;
    this.unacked = 0;
    const history = this.scrollback.contents();
    if (history.length > 0) this.send(history);
    if (this.exitCode !== null) {
      socket.send(encodeExit(this.exitCode));
      socket.close(CloseCode.exited, "The shell has exited.");
      return;
    }
    socket.on("message", (message, isBinary) => {
      if (this.socket !== socket || !isBinary) return;
      this.onFrame(toUint8Array(message));
    });
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      // Nobody is reading: let the program run on; the scrollback keeps the tail.
      this.unacked = 0;
      this.setPaused(false);
    });
  }

  /** Ends the shell and closes the client; the caller removes the sandbox's cgroup. */
  kill(reason = "The session ended."): void {
    this.socket?.close(CloseCode.sessionEnded, reason);
    this.socket = null;
    if (this.exitCode === null) {
      try {
        this.pty.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }

  private onFrame(bytes: Uint8Array): void {
    const frame = decodeFrame(bytes);
    if (!frame) return;
    switch (frame.type) {
      case "data":
        if (this.exitCode === null) this.pty.write(Buffer.from(frame.data));
        this.options.onActivity?.();
        break;
      case "resize":
        if (this.exitCode === null && frame.cols > 0 && frame.rows > 0) {
          this.pty.resize(Math.min(frame.cols, MAX_COLS), Math.min(frame.rows, MAX_ROWS));
        }
        this.options.onActivity?.();
        break;
      case "ack":
        this.unacked = Math.max(0, this.unacked - frame.bytes);
        if (this.unacked <= this.highWater) this.setPaused(false);
        break;
      default:
        break;
    }
  }

  private onOutput(chunk: Buffer): void {
    this.scrollback.write(chunk);
    if (this.socket) this.send(chunk);
  }

  private send(bytes: Uint8Array): void {
    if (!this.socket) return;
    this.socket.send(encodeData(bytes));
    this.unacked += bytes.length;
    if (this.unacked > this.highWater) this.setPaused(true);
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused || this.exitCode !== null) return;
    this.paused = paused;
    if (paused) this.pty.pause();
    else this.pty.resume();
  }

  private onShellExit(code: number): void {
    this.exitCode = code;
    if (this.socket) {
      this.socket.send(encodeExit(code));
      this.socket.close(CloseCode.exited, "The shell has exited.");
      this.socket = null;
    }
    this.options.onExit?.(code);
  }
}

function toUint8Array(message: unknown): Uint8Array {
  if (message instanceof Uint8Array) return message;
  if (Array.isArray(message)) return Buffer.concat(message as Buffer[]);
  return new Uint8Array(message as ArrayBuffer);
}
