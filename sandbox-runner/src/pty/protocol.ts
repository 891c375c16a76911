/**
 * Terminal WebSocket frames (sandbox-runner/README.md, "API"). Every frame is binary; its first
 * byte says what it is. Runtime-neutral (Uint8Array/DataView only) so the
 * browser terminal can import it as well.
 *
 *   DATA   0x00 + bytes           both ways: keystrokes in, terminal output out
 *   RESIZE 0x01 + u16 cols + u16 rows   client → server (big-endian)
 *   ACK    0x02 + u32 bytes       client → server: output bytes the client has consumed
 *   EXIT   0x03 + i32 code        server → client: the shell ended (the session's terminal is gone)
 *   DROPPED 0x04 + u32 bytes      server → client: this much DATA input was discarded (see below)
 *
 * Flow control: the server stops reading the PTY while more than
 * FLOW_CONTROL_HIGH_WATER bytes of DATA are unacknowledged; clients ACK as
 * they render (ACKing every DATA frame's length is fine).
 *
 * Input is bounded the other way round: the server writes DATA to the PTY as fast as the program
 * takes it and holds at most MAX_PENDING_INPUT bytes it has not taken yet. A DATA frame that does not
 * fit is discarded whole (as a terminal's line discipline discards on overflow) and counted: the
 * server sends DROPPED at the first discard and DROPPED with the rest of the count before the next
 * DATA frame it accepts, so the DROPPED frames add up to every byte discarded. The server never stops
 * reading the socket for this: ACKs, resizes and DATA that fits again (a ^C once the program reads)
 * still arrive, and a program blocked on output cannot deadlock with a client blocked on input.
 *
 * Anything else a client sends is bounded too: frames over the server's maximum (1 MiB) close the
 * socket with 1009, TEXT frames that are not UTF-8 with 1007, other protocol errors with 1002, a
 * client that leaves more than about 1 MiB beyond the window and the scrollback unread (ACKing
 * output it never read) with 1008, and one that floods pings is cut off. Valid TEXT frames and
 * unknown or malformed types are ignored. The shell and the session outlive any of these; the
 * client may reconnect.
 */

export const FrameType = { data: 0x00, resize: 0x01, ack: 0x02, exit: 0x03, dropped: 0x04 } as const;

export const FLOW_CONTROL_HIGH_WATER = 100 * 1024;

/** Terminal input the program has not read yet that the server holds at most (bytes). */
export const MAX_PENDING_INPUT = 1024 * 1024;

export type Frame =
  | { type: "data"; data: Uint8Array }
  | { type: "resize"; cols: number; rows: number }
  | { type: "ack"; bytes: number }
  | { type: "exit"; code: number }
  | { type: "dropped"; bytes: number };

export function encodeData(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const frame = new Uint8Array(bytes.length + 1);
  frame[0] = FrameType.data;
  frame.set(bytes, 1);
  return frame;
}

export function encodeResize(cols: number, rows: number): Uint8Array {
  const frame = new Uint8Array(5);
  const view = new DataView(frame.buffer);
  view.setUint8(0, FrameType.resize);
  view.setUint16(1, cols);
  view.setUint16(3, rows);
  return frame;
}

export function encodeAck(bytes: number): Uint8Array {
  const frame = new Uint8Array(5);
  const view = new DataView(frame.buffer);
  view.setUint8(0, FrameType.ack);
  view.setUint32(1, bytes);
  return frame;
}

export function encodeExit(code: number): Uint8Array {
  const frame = new Uint8Array(5);
  const view = new DataView(frame.buffer);
  view.setUint8(0, FrameType.exit);
  view.setInt32(1, code);
  return frame;
}

export function encodeDropped(bytes: number): Uint8Array {
  const frame = new Uint8Array(5);
  const view = new DataView(frame.buffer);
  view.setUint8(0, FrameType.dropped);
  view.setUint32(1, bytes);
  return frame;
}

/** Parses one frame; null when it is empty, of an unknown type or the wrong length. */
export function decodeFrame(frame: Uint8Array): Frame | null {
  if (frame.length === 0) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (frame[0]) {
    case FrameType.data:
      return { type: "data", data: frame.subarray(1) };
    case FrameType.resize:
      return frame.length === 5 ? { type: "resize", cols: view.getUint16(1), rows: view.getUint16(3) } : null;
    case FrameType.ack:
      return frame.length === 5 ? { type: "ack", bytes: view.getUint32(1) } : null;
    case FrameType.exit:
      return frame.length === 5 ? { type: "exit", code: view.getInt32(1) } : null;
    case FrameType.dropped:
      return frame.length === 5 ? { type: "dropped", bytes: view.getUint32(1) } : null;
    default:
      return null;
  }
}
