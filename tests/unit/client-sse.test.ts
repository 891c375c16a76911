import { describe, expect, it } from "vitest";
import { readSse, SseParser, type SseMessage } from "@/lib/client/sse";

const WIRE =
  'event: text\ndata: {"text":"Hel"}\n\n' +
  ": heartbeat\n\n" +
  'event: attempt_failed\ndata: {"provider":"openai","model":"gpt-4o-mini","error":"timeout"}\n\n' +
  'event: text\ndata: {"text":"lo\\nworld"}\n\n' +
  'id: 7\nevent: done\ndata: {"ok":true,"credits":2}\n\n';

const EXPECTED: SseMessage[] = [
  { event: "text", data: '{"text":"Hel"}' },
  { event: "attempt_failed", data: '{"provider":"openai","model":"gpt-4o-mini","error":"timeout"}' },
  { event: "text", data: '{"text":"lo\\nworld"}' },
  { event: "done", data: '{"ok":true,"credits":2}', id: "7" },
];

function parseInChunks(text: string, size: number): SseMessage[] {
  const parser = new SseParser();
  const out: SseMessage[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
  out.push(...parser.end());
  return out;
}

describe("SseParser", () => {
  it("gives the same messages whatever the chunking", () => {
    for (const size of [1, 2, 3, 7, 16, WIRE.length]) expect(parseInChunks(WIRE, size)).toEqual(EXPECTED);
  });

  it("accepts CRLF and CR line ends, even split between chunks", () => {
    for (const eol of ["\r\n", "\r"]) {
      const text = WIRE.replaceAll("\n", eol);
      for (const size of [1, 5, text.length]) expect(parseInChunks(text, size)).toEqual(EXPECTED);
    }
  });

  it("joins multi-line data, defaults the event name, and drops an unfinished message at the end", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\ndata:b\ndata\n\n")).toEqual([{ event: "message", data: "a\nb\n" }]);
    expect(parser.push("event: text\ndata: cut off")).toEqual([]);
    expect(parser.end()).toEqual([]);
  });
});

describe("readSse", () => {
  it("reads a response body with multi-byte characters split across chunks", async () => {
    const bytes = new TextEncoder().encode('event: text\ndata: {"text":"café ✓"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    const messages: SseMessage[] = [];
    for await (const m of readSse(body)) messages.push(m);
    expect(messages).toEqual([{ event: "text", data: '{"text":"café ✓"}' }]);
  });
});
