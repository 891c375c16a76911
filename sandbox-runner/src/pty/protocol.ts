/**
 * Terminal WebSocket frames (DESIGN.md §5). Every frame is binary; its first
 * byte says what it is. Runtime-neutral (Uint8Array/DataView only) so the
 * browser terminal can import it as well.
 *
 *   DATA   0x00 + bytes           both ways: keystrokes in, terminal output out
 *   RESIZE 0x01 + u16 cols + u16 rows   client → server (big-endian)
 *   ACK    0x02 + u32 bytes       client → server: output bytes the client has consumed
 *   EXIT   0x03 + i32 code        server → client: the shell ended (the session's terminal is gone)
 *
 * Flow control: the server stops reading the PTY while more than
 * FLOW_CONTROL_HIGH_WATER bytes of DATA are unacknowledged; clients ACK as
 * they render (ACKing every DATA frame's length is fine).
 */

export const FrameType = { data: 0x00, resize: 0x01, ack: 0x02, exit: 0x03 } as const;

export const FLOW_CONTROL_HIGH_WATER = 100 * 1024;

export type Frame =
  | { type: "data"; data: Uint8Array }
  | { type: "resize"; cols: number; rows: number }
  | { type: "ack"; bytes: number }
  | { type: "exit"; code: number };

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
    default:
      return null;
  }
}
