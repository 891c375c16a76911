import { describe, expect, it } from "vitest";
import { createProtocolParser, parseProtocol, type ProtocolParserOptions } from "@/lib/ai/protocol";
import type { ProtocolEvent } from "@/lib/ai/types";

/** Feeds the chunks in order and returns every event, adjacent text merged. */
function parseChunks(chunks: string[], options?: ProtocolParserOptions): ProtocolEvent[] {
  const parser = createProtocolParser(options);
  const events: ProtocolEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return mergeText(events);
}

function mergeText(events: ProtocolEvent[]): ProtocolEvent[] {
  const merged: ProtocolEvent[] = [];
  for (const event of events) {
    const last = merged[merged.length - 1];
    if (event.type === "text" && last?.type === "text") merged[merged.length - 1] = { type: "text", text: last.text + event.text };
    else merged.push({ ...event });
  }
  return merged;
}

function chunksOf(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

function errors(events: ProtocolEvent[]): string[] {
  return events.flatMap((event) => (event.type === "error" ? [event.message] : []));
}

function withoutText(events: ProtocolEvent[]): ProtocolEvent[] {
  return events.filter((event) => event.type !== "text");
}

/** Deterministic PRNG (mulberry32) so random chunkings are reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPICAL = `I'll build the app in two files.
<file path="src/App.tsx">
import { useState } from "react";

export default function App() {
  const [n, setN] = useState(0);
  return <button onClick={() => setN(n + 1)}>{n < 10 ? "few" : "many"}</button>;
}
</file>
<edit path='src/main.ts'>
<search>
const port = 3000;
</search>
<replace>
const port = Number(process.env.PORT ?? 3000);
</replace>
</edit>
<delete path="src/old.css"/>
<command>npm test</command>
That's it.`;

const NEAR_TAGS = `Text with near-tags: < file, <files>, <filex>, <edit-mode>, <commander>, <delete-me>, </file>, </fil and a < b.
<file path="src/page.html">
<!doctype html>
<html><body>
  <div class="x">a < b && c > d</div>
  <p>not the end: </fil </file > </FILE> <file path="inner.txt"> <files></p>
  <script>if (a<b) document.write("<edit path='x'>")</script>
</body></html>
</file>
<file path = "src/é/😀.txt" >
emoji 😀 and accents é
</file>
<command>
  node --test &lt; input.txt
</command>
After: <search> and </edit> stray.`;

const MALFORMED = `start
<file path="../escape.txt">
secret</file>
<edit path="src/a.ts">
  note: this is not a search block
  <search>x</search><replace>y</replace>
</edit>
<command>npm run build
<file path="src/b.ts">
b
</file>
<file path=unquoted.txt>
body
</file>
<delete path="/etc/passwd"/>
<file path="c.txt">\r\ncrlf\r\n</file>
<file path="r.txt">\rbare-cr</file>
<edit path="d.ts"><search>a</search><replace>b</replace><search>c</search><replace>d</replace></edit>
<file path="big.txt">${"0123456789".repeat(20)}</file>
<file path="open.txt'
next line
<file path="unclosed.txt">
never closed`;

const TRANSCRIPTS: Record<string, string> = { TYPICAL, NEAR_TAGS, MALFORMED };
const OPTIONS: ProtocolParserOptions = { maxFileBytes: 100 };

describe("protocol parser: typical transcripts", () => {
  it("emits text, file_open, file, edit, delete and command events in order", () => {
    const events = mergeText(parseProtocol(TYPICAL));
    expect(events).toEqual([
      { type: "text", text: "I'll build the app in two files.\n" },
      { type: "file_open", path: "src/App.tsx" },
      {
        type: "file",
        path: "src/App.tsx",
        content:
          'import { useState } from "react";\n\nexport default function App() {\n  const [n, setN] = useState(0);\n' +
          '  return <button onClick={() => setN(n + 1)}>{n < 10 ? "few" : "many"}</button>;\n}\n',
      },
      { type: "text", text: "\n" },
      {
        type: "edit",
        path: "src/main.ts",
        search: "const port = 3000;\n",
        replace: "const port = Number(process.env.PORT ?? 3000);\n",
      },
      { type: "text", text: "\n" },
      { type: "delete", path: "src/old.css" },
      { type: "text", text: "\n" },
      { type: "command", command: "npm test" },
      { type: "text", text: "\nThat's it." },
    ]);
  });

  it("takes file content verbatim up to the exact </file>, dropping one leading line break", () => {
    const events = parseProtocol(NEAR_TAGS);
    const page = events.find((e) => e.type === "file" && e.path === "src/page.html");
    expect(page).toEqual({
      type: "file",
      path: "src/page.html",
      content:
        '<!doctype html>\n<html><body>\n  <div class="x">a < b && c > d</div>\n' +
        '  <p>not the end: </fil </file > </FILE> <file path="inner.txt"> <files></p>\n' +
        "  <script>if (a<b) document.write(\"<edit path='x'>\")</script>\n</body></html>\n",
    });
    expect(parseProtocol('<file path="a.txt">\n\nkept</file>')).toContainEqual({ type: "file", path: "a.txt", content: "\nkept" });
    expect(parseProtocol('<file path="a.txt">no break</file>')).toContainEqual({ type: "file", path: "a.txt", content: "no break" });
    expect(parseProtocol('<file path="a.txt"></file>')).toContainEqual({ type: "file", path: "a.txt", content: "" });
  });

  it("treats near-tags outside blocks as text and reads spaced attributes and unicode paths", () => {
    const events = mergeText(parseProtocol(NEAR_TAGS));
    expect(events[0]).toEqual({
      type: "text",
      text: "Text with near-tags: < file, <files>, <filex>, <edit-mode>, <commander>, <delete-me>, </file>, </fil and a < b.\n",
    });
    expect(events).toContainEqual({ type: "file", path: "src/é/😀.txt", content: "emoji 😀 and accents é\n" });
    expect(events).toContainEqual({ type: "command", command: "node --test &lt; input.txt" });
    expect(events[events.length - 1]).toEqual({ type: "text", text: "\nAfter: <search> and </edit> stray." });
    expect(errors(events)).toEqual([]);
  });

  it("normalizes paths", () => {
    expect(withoutText(parseProtocol('<file path="./src//a.ts">x</file><delete path="src\\b.ts"/>'))).toEqual([
      { type: "file_open", path: "src/a.ts" },
      { type: "file", path: "src/a.ts", content: "x" },
      { type: "delete", path: "src/b.ts" },
    ]);
  });

  it("accepts several search/replace pairs in one edit and an edit with one-line bodies", () => {
    expect(withoutText(parseProtocol(MALFORMED)).filter((e) => e.type === "edit")).toEqual([
      { type: "edit", path: "d.ts", search: "a", replace: "b" },
      { type: "edit", path: "d.ts", search: "c", replace: "d" },
    ]);
  });

  it("accepts <delete> with or without the self-closing slash", () => {
    expect(withoutText(parseProtocol('<delete path="a.txt" /><delete path=\'b.txt\'>'))).toEqual([
      { type: "delete", path: "a.txt" },
      { type: "delete", path: "b.txt" },
    ]);
  });

  it("flushes text at once and holds only a possible tag prefix", () => {
    const parser = createProtocolParser();
    expect(parser.push("Hello world")).toEqual([{ type: "text", text: "Hello world" }]);
    expect(parser.push(" and <fi")).toEqual([{ type: "text", text: " and " }]);
    expect(parser.push("nally")).toEqual([{ type: "text", text: "<finally" }]);
    expect(parser.push(" <file path=")).toEqual([{ type: "text", text: " " }]);
    expect(parser.push('"a.ts">')).toEqual([{ type: "file_open", path: "a.ts" }]);
    expect(parser.push("const a = 1;</fi")).toEqual([]);
    expect(parser.push("le>")).toEqual([{ type: "file", path: "a.ts", content: "const a = 1;" }]);
    expect(parser.end()).toEqual([]);
  });

  it("flushes a held partial tag as text at the end", () => {
    const parser = createProtocolParser();
    expect(parser.push("a <comm")).toEqual([{ type: "text", text: "a " }]);
    expect(parser.end()).toEqual([{ type: "text", text: "<comm" }]);
  });
});

describe("protocol parser: malformed input", () => {
  it("reports each problem with an error event and goes on", () => {
    const events = parseProtocol(MALFORMED, OPTIONS);
    expect(errors(events)).toEqual([
      expect.stringMatching(/^<file path="\.\.\/escape\.txt">: .*must not contain "\.\."\. The <file> block was skipped\.$/),
      '<edit path="src/a.ts">: expected <search> but found other text; the rest of the edit was skipped.',
      "<file> inside <command>: </command> is missing, so the command was dropped.",
      "Malformed <file> tag: the value of path must be in quotes. The <file> block was skipped.",
      expect.stringMatching(/^<delete path="\/etc\/passwd">: .*relative.* Nothing was deleted\.$/),
      '<file path="big.txt"> is larger than 100 bytes; it was not written. Split it into smaller files.',
      'Malformed <file> tag: an attribute value is missing its closing quote. It was read as plain text.',
      '<file path="unclosed.txt"> was not closed: the output ended before </file>, so the file was not written.',
    ]);
    const written = events.flatMap((e) => (e.type === "file" ? [[e.path, e.content]] : []));
    expect(written).toEqual([
      ["src/b.ts", "b\n"],
      ["c.txt", "crlf\r\n"],
      ["r.txt", "\rbare-cr"],
    ]);
    expect(events.some((e) => e.type === "command")).toBe(false);
    expect(events.some((e) => e.type === "delete")).toBe(false);
  });

  it("reports an unclosed tag of every kind at end()", () => {
    expect(errors(parseProtocol('<edit path="a.ts"><search>x'))).toEqual([
      '<edit path="a.ts"> was not closed: the output ended before </edit>.',
    ]);
    expect(errors(parseProtocol("<command>npm test"))).toEqual([
      "<command> was not closed: the output ended before </command>, so nothing was run.",
    ]);
    expect(errors(parseProtocol('<file path="a.ts"'))).toEqual([
      "The output ended inside a <file> opening tag; that block was lost.",
    ]);
    expect(errors(parseProtocol('<file path="../a">x'))).toHaveLength(2);
  });

  it("reports a block tag nested in an edit and parses the inner tag", () => {
    const events = parseProtocol('<edit path="a.ts"><search>x</search><replace>y\n<file path="b.ts">b</file>');
    expect(errors(events)).toEqual([
      '<file> inside the <replace> of <edit path="a.ts">: </replace> is missing, so the edit was dropped.',
    ]);
    expect(withoutText(events).filter((e) => e.type !== "error")).toEqual([
      { type: "file_open", path: "b.ts" },
      { type: "file", path: "b.ts", content: "b" },
    ]);
    expect(errors(parseProtocol('<edit path="a.ts">\n<command>ls</command></edit>'))).toEqual([
      '<command> inside <edit path="a.ts">: the edit was not closed with </edit>.',
    ]);
  });

  it("reports edits without pairs or without a replace, self-closing blocks and missing paths", () => {
    expect(errors(parseProtocol('<edit path="a.ts"></edit>'))).toEqual(['<edit path="a.ts"> has no <search>…</search><replace>…</replace> pair.']);
    expect(errors(parseProtocol('<edit path="a.ts"><search>a</search></edit>'))).toEqual([
      '<edit path="a.ts">: <search> without a <replace>; that change was skipped.',
    ]);
    expect(errors(parseProtocol('<file path="a.ts"/>after'))).toEqual(['<file …/> cannot be self-closing: write <file path="…">…</file>.']);
    expect(errors(parseProtocol("<file>x</file>"))).toEqual(["<file> tag without a path attribute. The <file> block was skipped."]);
    expect(errors(parseProtocol("<command>  </command>"))).toEqual(["Empty <command></command>: nothing was run."]);
  });

  it("reports a file over the limit as soon as it crosses it, before </file> arrives", () => {
    const parser = createProtocolParser({ maxFileBytes: 1024 });
    const events = parser.push(`<file path="big.txt">${"x".repeat(2000)}`);
    expect(events).toEqual([
      { type: "file_open", path: "big.txt" },
      { type: "error", message: '<file path="big.txt"> is larger than 1024 bytes; it was not written. Split it into smaller files.' },
    ]);
    expect(parser.push("y".repeat(5000))).toEqual([]);
    expect(parser.push('</file><file path="ok.txt">ok</file>')).toEqual([
      { type: "file_open", path: "ok.txt" },
      { type: "file", path: "ok.txt", content: "ok" },
    ]);
  });

  it("counts the size limit in UTF-8 bytes, exactly at the boundary", () => {
    const fits = parseProtocol(`<file path="a.txt">${"é".repeat(50)}</file>`, { maxFileBytes: 100 });
    expect(errors(fits)).toEqual([]);
    const over = parseProtocol(`<file path="a.txt">${"é".repeat(50)}x</file>`, { maxFileBytes: 100 });
    expect(errors(over)).toHaveLength(1);
    const emoji = parseChunks(["<file path=\"a.txt\">", "😀".repeat(25).slice(0, 1), "😀".repeat(25).slice(1), "</file>"], { maxFileBytes: 100 });
    expect(errors(emoji)).toEqual([]);
  });

  it("never throws, whatever it is fed", () => {
    const next = random(7);
    const alphabet = ['<', '>', '/', '"', "'", "file", "edit", "search", "replace", "command", "delete", " path=", "\n", "\r", "..", "x", "é", "😀"];
    for (let round = 0; round < 300; round++) {
      let text = "";
      for (let i = 0; i < 60; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      expect(() => parseChunks(chunksOf(text, 1 + Math.floor(next() * 5)), OPTIONS)).not.toThrow();
    }
  });
});

describe("protocol parser: the same events whatever the chunking", () => {
  for (const [name, transcript] of Object.entries(TRANSCRIPTS)) {
    const expected = parseChunks([transcript], OPTIONS);

    it(`${name}: every single split point gives the same events`, () => {
      expect(expected.length).toBeGreaterThan(3);
      for (let k = 0; k <= transcript.length; k++) {
        const events = parseChunks([transcript.slice(0, k), transcript.slice(k)], OPTIONS);
        if (JSON.stringify(events) !== JSON.stringify(expected)) {
          expect({ split: k, events }).toEqual({ split: k, events: expected });
        }
      }
    });

    it(`${name}: 1-character chunks give the same events`, () => {
      expect(parseChunks(transcript.split(""), OPTIONS)).toEqual(expected);
    });

    it(`${name}: random chunkings give the same events`, () => {
      const next = random(name.length * 31);
      for (let round = 0; round < 200; round++) {
        const chunks: string[] = [];
        for (let i = 0; i < transcript.length; ) {
          const size = Math.floor(next() * 12);
          chunks.push(transcript.slice(i, i + size));
          i += size;
        }
        expect(parseChunks(chunks, OPTIONS)).toEqual(expected);
      }
    });
  }

  it("every pair of split points in a short transcript gives the same events", () => {
    const transcript = 'a<file path="x.ts">1</fil</file>b<edit path=\'y\'><search>s</search><replace>r</replace></edit><command>ls</command>';
    const expected = parseChunks([transcript]);
    for (let i = 0; i <= transcript.length; i++) {
      for (let j = i; j <= transcript.length; j++) {
        const events = parseChunks([transcript.slice(0, i), transcript.slice(i, j), transcript.slice(j)]);
        if (JSON.stringify(events) !== JSON.stringify(expected)) expect({ i, j, events }).toEqual({ i, j, events: expected });
      }
    }
  });
});

describe("protocol parser: large input", () => {
  it("parses a 1 MB transcript fed in 7-byte chunks", () => {
    const bigFile = "const line = `<div>${i < 3}</div>`; // </fil <files>\n".repeat(8000);
    const parts: string[] = ["Explanation first.\n", `<file path="src/big.ts">\n${bigFile}</file>\n`];
    let length = parts.join("").length;
    let i = 0;
    while (length < 1_000_000) {
      const file = `Step ${i}: a < b.\n<file path="src/f${i}.ts">\nexport const v${i} = ${i} < ${i + 1};\n</file>\n`;
      const edit = `<edit path="src/f${i}.ts"><search>${i}</search><replace>${i + 1}</replace></edit>\n`;
      parts.push(file, edit);
      length += file.length + edit.length;
      i++;
    }
    const transcript = parts.join("");
    expect(transcript.length).toBeGreaterThanOrEqual(1_000_000);

    const events = parseChunks(chunksOf(transcript, 7));
    expect(errors(events)).toEqual([]);
    expect(events.filter((e) => e.type === "file")).toHaveLength(i + 1);
    expect(events.filter((e) => e.type === "edit")).toHaveLength(i);
    expect(events.find((e) => e.type === "file" && e.path === "src/big.ts")).toEqual({ type: "file", path: "src/big.ts", content: bigFile });
    expect(events).toEqual(parseChunks([transcript]));
  });
});
