import { writeSync } from "node:fs";
import * as pty from "node-pty";
import type { WebSocket } from "ws";
import {
  decodeFrame,
  encodeData,
  encodeDropped,
  encodeExit,
  FLOW_CONTROL_HIGH_WATER,
  MAX_PENDING_INPUT,
} from "./protocol";
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
  /** Input the program has not read yet held at most; DATA past it is dropped (protocol.ts). */
  maxPendingInput?: number;
  /** Called once when the shell has exited (the session then drops the terminal). */
  onExit?: (code: number) => void;
  /** Called on any input or resize from the client, so the session counts as used. */
  onActivity?: () => void;
}

export const DEFAULT_SCROLLBACK_BYTES = 256 * 1024;
const MAX_COLS = 1000;
const MAX_ROWS = 500;

/** WebSocket close codes of our own (4000–4999 are for applications), and 1008 (policy violation). */
export const CloseCode = { replaced: 4000, exited: 4001, sessionEnded: 4002, notReading: 1008 } as const;

/**
 * Output a client may leave unread in the runner's socket buffer beyond the scrollback replay and
 * the flow-control window before it is closed: an honest client stays far below (it ACKs only what
 * it read), one that ACKs without reading does not. (A ping flood ws cuts off itself, at 60 pongs
 * not yet written.)
 */
const MAX_UNREAD_OUTPUT_SLACK = 1024 * 1024;

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
  private readonly input: PtyInput;
  private readonly maxUnreadOutput: number;
  private socket: WebSocket | null = null;
  private unacked = 0;
  private paused = false;
  private exitCode: number | null = null;
  /** Input dropped since the last DROPPED frame, and whether one was sent for the current run of drops. */
  private droppedUnreported = 0;
  private dropping = false;

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
    this.input = new PtyInput(ptyDescriptor(this.pty), options.maxPendingInput ?? MAX_PENDING_INPUT);
    this.maxUnreadOutput = this.scrollback.capacity + this.highWater + MAX_UNREAD_OUTPUT_SLACK;
    this.pty.onData((chunk) => this.onOutput(chunk as unknown as Buffer));
    this.pty.onExit(({ exitCode }) => this.onShellExit(exitCode));
    // node-pty closes the descriptor when the PTY reports EIO or closes, before onExit; from then on
    // its number may belong to another file.
    (this.pty as unknown as { on(event: "close", listener: () => void): void }).on("close", () => this.input.close());
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

  /** Input accepted from the client that the program has not read yet (at most `maxPendingInput`). */
  get pendingInputBytes(): number {
    return this.input.pending;
  }

  /** Makes `socket` the terminal's one client (a previous one is closed) and replays the scrollback. */
  attach(socket: WebSocket): void {
    if (this.socket) this.socket.close(CloseCode.replaced, "Another client attached to this terminal.");
    this.socket = socket;
    this.unacked = 0;
    this.droppedUnreported = 0;
    this.dropping = false;
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
    this.input.close();
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
        if (this.exitCode === null) this.onInput(frame.data);
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

  private onInput(data: Uint8Array): void {
    if (this.input.push(data)) {
      if (this.droppedUnreported > 0) this.sendFrame(encodeDropped(this.droppedUnreported));
      this.droppedUnreported = 0;
      this.dropping = false;
      return;
    }
    this.droppedUnreported += data.length;
    if (this.dropping) return;
    // The first drop of a run is reported at once, the rest when input is accepted again.
    this.dropping = true;
    this.sendFrame(encodeDropped(this.droppedUnreported));
    this.droppedUnreported = 0;
  }

  private onOutput(chunk: Buffer): void {
    this.scrollback.write(chunk);
    if (this.socket) this.send(chunk);
  }

  private send(bytes: Uint8Array): void {
    if (!this.socket) return;
    this.unacked += bytes.length;
    this.sendFrame(encodeData(bytes));
    if (this.unacked > this.highWater) this.setPaused(true);
  }

  private sendFrame(frame: Uint8Array): void {
    if (!this.socket) return;
    this.socket.send(frame);
    this.checkUnread();
  }

  private checkUnread(): void {
    const socket = this.socket;
    if (!socket || socket.bufferedAmount <= this.maxUnreadOutput) return;
    this.socket = null;
    this.unacked = 0;
    this.setPaused(false);
    socket.close(CloseCode.notReading, "The client does not read what it is sent.");
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused || this.exitCode !== null) return;
    this.paused = paused;
    if (paused) this.pty.pause();
    else this.pty.resume();
  }

  private onShellExit(code: number): void {
    this.exitCode = code;
    this.input.close();
    if (this.socket) {
      this.socket.send(encodeExit(code));
      this.socket.close(CloseCode.exited, "The shell has exited.");
      this.socket = null;
    }
    this.options.onExit?.(code);
  }
}

/**
 * The client's input on its way into the PTY. node-pty's own write() queues without limit in JS
 * while the PTY is full and retries with setImmediate, a busy loop, for as long as the program does
 * not read; this writes to the PTY's (non-blocking) descriptor itself, keeps what the PTY did not
 * take yet in fixed blocks (many tiny frames cost no more than their bytes), at most `limit` bytes,
 * and retries a full PTY with a timer that backs off. Writes are synchronous, on the thread that
 * closes the descriptor, so none can reach a file that reuses its number.
 */
class PtyInput {
  /** Unwritten input: the first block from `start`, the last up to `end`. */
  private blocks: Buffer[] = [];
  private start = 0;
  private end = 0;
  private bytes = 0;
  private retryMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly limit: number,
  ) {}

  get pending(): number {
    return this.bytes;
  }

  /** Writes `data` or queues it whole; false (nothing written or queued) when it does not fit. */
  push(data: Uint8Array): boolean {
    if (this.closed || data.length === 0) return true;
    if (this.bytes + data.length > this.limit) return false;
    let from = 0;
    if (this.bytes === 0) {
      const written = this.write(data, 0, data.length);
      if (written === null) return true;
      from = written;
    }
    this.append(data.subarray(from));
    if (this.bytes > 0 && !this.timer) this.retry();
    return true;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.blocks = [];
    this.start = this.end = this.bytes = 0;
  }

  private append(data: Uint8Array): void {
    for (let from = 0; from < data.length; ) {
      if (this.blocks.length === 0 || this.end === INPUT_BLOCK_BYTES) {
        this.blocks.push(Buffer.allocUnsafe(INPUT_BLOCK_BYTES));
        this.end = 0;
      }
      const count = Math.min(INPUT_BLOCK_BYTES - this.end, data.length - from);
      this.blocks[this.blocks.length - 1]!.set(data.subarray(from, from + count), this.end);
      this.end += count;
      this.bytes += count;
      from += count;
    }
  }

  private flush(): void {
    this.timer = null;
    while (!this.closed && this.bytes > 0) {
      const head = this.blocks[0]!;
      const wanted = (this.blocks.length === 1 ? this.end : INPUT_BLOCK_BYTES) - this.start;
      const written = this.write(head, this.start, wanted);
      if (written === null) return;
      this.bytes -= written;
      this.start += written;
      if (written === wanted) {
        this.blocks.shift();
        this.start = 0;
        if (this.blocks.length === 0) this.end = 0;
      }
      if (written > 0) this.retryMs = 0;
      if (written < wanted) return this.retry();
    }
  }

  private retry(): void {
    this.retryMs = Math.min(Math.max(1, this.retryMs * 2), MAX_INPUT_RETRY_MS);
    this.timer = setTimeout(() => this.flush(), this.retryMs);
  }

  /** Writes what the PTY takes now: the count (short when it is full), or null when it is gone. */
  private write(buffer: Uint8Array, offset: number, length: number): number | null {
    let written = 0;
    try {
      while (written < length) {
        const count = writeSync(this.fd, buffer, offset + written, length - written);
        if (count === 0) break;
        written += count;
      }
      return written;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EAGAIN") return written;
      // EIO and the like: the shell's side is gone; onExit follows.
      this.close();
      return null;
    }
  }
}

const INPUT_BLOCK_BYTES = 64 * 1024;

/** Longest wait before trying a full PTY again: the latency of input once the program reads again. */
const MAX_INPUT_RETRY_MS = 20;

function ptyDescriptor(terminal: pty.IPty): number {
  const fd = (terminal as unknown as { fd?: unknown }).fd;
  if (typeof fd !== "number") {
    terminal.kill("SIGKILL");
    throw new Error("node-pty did not expose the PTY's descriptor");
  }
  return fd;
}

function toUint8Array(message: unknown): Uint8Array {
  if (message instanceof Uint8Array) return message;
  if (Array.isArray(message)) return Buffer.concat(message as Buffer[]);
  return new Uint8Array(message as ArrayBuffer);
}
