import { describe, expect, it } from "vitest";
import { ReplayGuard } from "../src/auth/replay";
import { decodeFrame, encodeAck, encodeData, encodeExit, encodeResize } from "../src/pty/protocol";
import { Scrollback } from "../src/pty/scrollback";

describe("scrollback", () => {
  it("keeps the last `capacity` bytes in order across wrap-arounds", () => {
    const ring = new Scrollback(10);
    let all = "";
    for (const piece of ["abc", "defgh", "ijklmnop", "q", "rstuvwxyz0123"]) {
      ring.write(Buffer.from(piece));
      all += piece;
      expect(ring.contents().toString()).toBe(all.slice(-10));
    }
  });

  it("starts empty and handles one chunk larger than itself", () => {
    const ring = new Scrollback(4);
    expect(ring.contents().length).toBe(0);
    ring.write(Buffer.from("123456789"));
    expect(ring.contents().toString()).toBe("6789");
  });
});

describe("terminal frames", () => {
  it("round-trips every frame type", () => {
    expect(decodeFrame(encodeData("hé"))).toEqual({ type: "data", data: new TextEncoder().encode("hé") });
    expect(decodeFrame(encodeResize(300, 70))).toEqual({ type: "resize", cols: 300, rows: 70 });
    expect(decodeFrame(encodeAck(4_000_000_000))).toEqual({ type: "ack", bytes: 4_000_000_000 });
    expect(decodeFrame(encodeExit(-1))).toEqual({ type: "exit", code: -1 });
  });

  it("rejects empty, unknown and truncated frames", () => {
    expect(decodeFrame(new Uint8Array())).toBeNull();
    expect(decodeFrame(Uint8Array.of(0x09, 1))).toBeNull();
    expect(decodeFrame(Uint8Array.of(0x01, 0, 80))).toBeNull();
    expect(decodeFrame(Uint8Array.of(0x02, 0, 0, 0))).toBeNull();
  });
});

describe("replay guard", () => {
  it("accepts a value once until it expires", () => {
    const guard = new ReplayGuard();
    expect(guard.firstUse("sig", 160, 100)).toBe(true);
    expect(guard.firstUse("sig", 160, 130)).toBe(false);
    expect(guard.firstUse("other", 160, 130)).toBe(true);
    expect(guard.firstUse("sig", 230, 200)).toBe(true); // expired entries are forgotten
    expect(guard.size).toBe(1);
  });
});
