/**
 * The last `capacity` bytes a terminal printed, replayed to a client that
 * reconnects. A fixed ring: memory stays at `capacity` however much is written.
 */
export class Scrollback {
  private readonly ring: Buffer;
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.ring = Buffer.alloc(capacity);
  }

  write(chunk: Uint8Array): void {
    if (chunk.length >= this.capacity) {
      this.ring.set(chunk.subarray(chunk.length - this.capacity));
      this.start = 0;
      this.length = this.capacity;
      return;
    }
    const end = (this.start + this.length) % this.capacity;
    const firstPart = Math.min(chunk.length, this.capacity - end);
    this.ring.set(chunk.subarray(0, firstPart), end);
    this.ring.set(chunk.subarray(firstPart), 0);
    const overflow = this.length + chunk.length - this.capacity;
    if (overflow > 0) {
      this.start = (this.start + overflow) % this.capacity;
      this.length = this.capacity;
    } else {
      this.length += chunk.length;
    }
  }

  /** A copy of the retained bytes, oldest first. */
  contents(): Buffer {
    const out = Buffer.alloc(this.length);
    const firstPart = Math.min(this.length, this.capacity - this.start);
    this.ring.copy(out, 0, this.start, this.start + firstPart);
    this.ring.copy(out, firstPart, 0, this.length - firstPart);
    return out;
  }
}
