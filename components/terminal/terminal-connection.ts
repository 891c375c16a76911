import { decodeFrame, encodeAck, encodeData, encodeResize } from "@/lib/sandbox/pty-protocol";

/**
 * The browser side of one project terminal: asks the app for a ticket, opens
 * the runner's WebSocket, and keeps it open — reconnecting with backoff and a
 * fresh ticket each time (the runner replays its scrollback, so the screen is
 * reset first). Knows nothing of React or xterm: it reports through callbacks.
 */

export type TerminalStatus =
  | { kind: "connecting" }
  | { kind: "connected" }
  | { kind: "reconnecting"; attempt: number; inSeconds: number }
  | { kind: "unreachable"; message: string }
  | { kind: "not_configured"; message: string }
  | { kind: "exited"; code: number }
  | { kind: "error"; message: string };

export interface TerminalSink {
  /** Output bytes; call `done` once rendered, which acknowledges them to the runner. */
  write(data: Uint8Array, done: () => void): void;
  /** Before the runner replays the scrollback of a reconnected terminal. */
  reset(): void;
  size(): { cols: number; rows: number };
}

const MAX_AUTOMATIC_RETRIES = 6;
const backoffSeconds = (attempt: number) => Math.min(15, 2 ** (attempt - 1));

class TicketError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function fetchTicket(projectId: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`/api/projects/${encodeURIComponent(projectId)}/terminal`, { method: "POST" });
  } catch {
    throw new TicketError(0, "network", "The app could not be reached. Check your connection.");
  }
  const body = (await response.json().catch(() => ({}))) as { wsUrl?: string; error?: string; message?: string };
  if (!response.ok || !body.wsUrl) {
    throw new TicketError(response.status, body.error ?? "error", body.message ?? `The terminal could not be opened (HTTP ${response.status}).`);
  }
  return body.wsUrl;
}

export class TerminalConnection {
  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private everConnected = false;
  private disposed = false;
  /** The shell's exit code from an EXIT frame, until the socket closes. */
  private exited: number | null = null;

  constructor(
    private readonly projectId: string,
    private readonly sink: TerminalSink,
    private readonly onStatus: (status: TerminalStatus) => void,
  ) {}

  /** Connects now (also the Retry button); cancels a pending automatic retry. */
  connect(): void {
    if (this.disposed) return;
    this.clearRetry();
    this.closeSocket();
    this.onStatus(this.attempt > 0 ? { kind: "reconnecting", attempt: this.attempt, inSeconds: 0 } : { kind: "connecting" });
    void this.open();
  }

  send(input: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeData(input));
  }

  resize(cols: number, rows: number): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeResize(cols, rows));
  }

  dispose(): void {
    this.disposed = true;
    this.clearRetry();
    this.closeSocket();
  }

  private async open(): Promise<void> {
    let wsUrl: string;
    try {
      wsUrl = await fetchTicket(this.projectId);
    } catch (err) {
      if (this.disposed) return;
      const e = err instanceof TicketError ? err : new TicketError(0, "error", String(err));
      if (e.code === "runner_not_configured") return this.onStatus({ kind: "not_configured", message: e.message });
      const unavailable = e.status === 503 || e.status === 502 || e.status === 0;
      // While reconnecting keep trying; on a first attempt the app server has just tried the runner itself.
      if (unavailable && this.everConnected) return this.retryOrGiveUp(e.message);
      if (unavailable) return this.onStatus({ kind: "unreachable", message: e.message });
      return this.onStatus({ kind: "error", message: e.message });
    }
    if (this.disposed) return;

    const { cols, rows } = this.sink.size();
    const url = new URL(wsUrl);
    url.searchParams.set("cols", String(cols));
    url.searchParams.set("rows", String(rows));
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let opened = false;

    socket.onopen = () => {
      opened = true;
      if (this.everConnected) this.sink.reset();
      this.everConnected = true;
      this.attempt = 0;
      this.onStatus({ kind: "connected" });
      const size = this.sink.size();
      socket.send(encodeResize(size.cols, size.rows));
    };
    socket.onmessage = (event: MessageEvent<ArrayBuffer>) => {
      const frame = decodeFrame(new Uint8Array(event.data));
      if (!frame) return;
      if (frame.type === "data") {
        const length = frame.data.length;
        this.sink.write(frame.data, () => {
          if (socket.readyState === WebSocket.OPEN) socket.send(encodeAck(length));
        });
      } else if (frame.type === "exit") {
        this.exited = frame.code;
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket || this.disposed) return;
      this.socket = null;
      if (this.exited !== null) {
        const code = this.exited;
        this.exited = null;
        return this.onStatus({ kind: "exited", code });
      }
      this.retryOrGiveUp(
        opened
          ? "The connection to the sandbox runner was lost."
          : "The sandbox runner is not reachable.",
      );
    };
  }

  private retryOrGiveUp(message: string): void {
    this.attempt++;
    if (this.attempt > MAX_AUTOMATIC_RETRIES) {
      this.attempt = 0;
      return this.onStatus({ kind: "unreachable", message });
    }
    const inSeconds = backoffSeconds(this.attempt);
    this.onStatus({ kind: "reconnecting", attempt: this.attempt, inSeconds });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.open();
    }, inSeconds * 1000);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
  }
}
