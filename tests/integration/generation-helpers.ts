import { expect } from "vitest";
import type { RunEvent } from "@/lib/ai/types";

export { EXPECTED_FILES, PLAN, TRANSCRIPTS } from "./generation-script";

/** Helpers for the generation tests: reading SSE frames from a run's event stream. */

export interface SseFrame {
  id: number;
  event: string;
  data: RunEvent;
}

/** Reads SSE frames one at a time from a response body; heartbeat comments are skipped. */
export class SseReader {
  private buffer = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  readonly frames: SseFrame[] = [];

  constructor(response: Response) {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    this.reader = response.body!.getReader();
  }

  /** The next frame, or null at the end of the stream. */
  async next(): Promise<SseFrame | null> {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        if (block.split("\n").every((line) => line.startsWith(":"))) continue;
        const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(block)?.[1];
        const frame: SseFrame = { id: Number(field("id")), event: field("event")!, data: JSON.parse(field("data")!) };
        this.frames.push(frame);
        return frame;
      }
      const { done, value } = await this.reader.read();
      if (done) return null;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  async until(predicate: (frame: SseFrame) => boolean): Promise<SseFrame> {
    for (;;) {
      const frame = await this.next();
      if (!frame) throw new Error("the stream ended first");
      if (predicate(frame)) return frame;
    }
  }

  async readToEnd(): Promise<SseFrame[]> {
    while (await this.next());
    return this.frames;
  }

  async close(): Promise<void> {
    await this.reader.cancel();
  }
}
