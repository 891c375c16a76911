import { describe, expect, it } from "vitest";
import { createProtocolParser, parseProtocol, type ParseProtocolOptions, type ProtocolParserOptions } from "@/lib/ai/protocol";
import type { ProtocolEvent } from "@/lib/ai/types";

/** Feeds the chunks in order and returns every event, adjacent text merged. */
function parseChunks(chunks: string[], options?: ParseProtocolOptions): ProtocolEvent[] {
  const parser = createProtocolParser(options);
  const events: ProtocolEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end(options?.complete === undefined ? undefined : { complete: options.complete }));
  return mergeText(events);
}

/** Asserts `expected` for the whole transcript, for every split into two chunks and for 1-character chunks. */
function expectEveryChunking(transcript: string, expected: ProtocolEvent[], options?: ParseProtocolOptions): void {
  expect(mergeText(parseProtocol(transcript, options))).toEqual(expected);
  for (let k = 0; k <= transcript.length; k++) {
    const events = parseChunks([transcript.slice(0, k), transcript.slice(k)], options);
    if (JSON.stringify(events) !== JSON.stringify(expected)) expect({ split: k, events }).toEqual({ split: k, events: expected });
  }
  expect(parseChunks(transcript.split(""), options)).toEqual(expected);
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

const REPAIRED = `Files, chat-model style:
<file path="src/a.js">
\`\`\`javascript
console.log(1)
\`\`\`
</file>
<file path="README.md">
\`\`\`
kept fenced
\`\`\`
</file>
<file path="src/b.ts">\r
const b = "<file path='x'>"; // <file path="y.ts">
  <edit path="src/c.ts"><search>1</search><replace>2</replace></edit>
<file path="src/d.py">
~~~python
print("<file>")
<command>ls</command>
<delete path="gone.txt"/>
<file path="src/e.txt">
tail`;

const TRANSCRIPTS: Record<string, string> = { TYPICAL, NEAR_TAGS, MALFORMED, REPAIRED };
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
      '<file path="unclosed.txt"> was not closed: the output was cut off before </file>, so the file was not written.',
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

  it("skips a file, edit or delete whose path carries an invisible formatting character (the one path validator)", () => {
    for (const block of ['<file path="invoice\u202Etxt.exe">x</file>', '<edit path="a\u200B.ts"><search>a</search><replace>b</replace></edit>', '<delete path="\u2066b.ts"/>']) {
      const events = parseProtocol(block, { complete: true });
      expect(errors(events).join("\n")).toMatch(/invisible formatting character \(U\+(202E|200B|2066)\)/);
      expect(withoutText(events).filter((e) => e.type !== "error")).toEqual([]);
    }
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

const FENCE = "```";
const fenceRemoved = (path: string, fence = FENCE): ProtocolEvent => ({
  type: "repair",
  path,
  message: `The ${fence} code fence around ${path} was removed, so the file holds only the code inside it.`,
});
const fenceUnclosed = (path: string, fence = FENCE): ProtocolEvent => ({
  type: "repair",
  path,
  message: `${path} began with a ${fence} code fence that was never closed; that fence line was removed.`,
});
const endedBy = (path: string, tag: string): ProtocolEvent => ({
  type: "repair",
  path,
  message: `${path} was not closed; it was saved up to where ${tag} begins.`,
});
const keptAtEnd = (path: string): ProtocolEvent => ({
  type: "repair",
  path,
  message: `${path} was not closed, but the answer ended normally, so the file was kept.`,
});
const cutOff = (path: string): ProtocolEvent => ({
  type: "error",
  message: `<file path=${JSON.stringify(path)}> was not closed: the output was cut off before </file>, so the file was not written.`,
});
const opened = (path: string): ProtocolEvent => ({ type: "file_open", path });
const written = (path: string, content: string): ProtocolEvent => ({ type: "file", path, content });

describe("protocol parser: a code fence wrapping a whole file", () => {
  it("removes it, keeping the content's final line break, and says so", () => {
    expectEveryChunking(`<file path="src/a.js">\n${FENCE}javascript\nconsole.log(1)\n${FENCE}\n</file>`, [
      opened("src/a.js"),
      fenceRemoved("src/a.js"),
      written("src/a.js", "console.log(1)\n"),
    ]);
  });

  const unfenced: [string, string, string, string?][] = [
    ["tildes, no language tag", "~~~\nprint(1)\n~~~\n", "print(1)\n", "~~~"],
    ["CRLF line endings", `${FENCE}ts\r\nconst a = 1;\r\n\r\nexport { a };\r\n${FENCE}\r\n`, "const a = 1;\r\n\r\nexport { a };\r\n"],
    ["blank lines and spaces around the fence lines", `\n\n  ${FENCE} css  \nbody { margin: 0; }\n   ${FENCE}\t\n\n  `, "body { margin: 0; }\n"],
    ["fence lines on the tag lines", `${FENCE}js\nx()\n${FENCE}`, "x()\n"],
    ["a longer fence around shorter ones", `${FENCE}\`js\nconst md = \`\n${FENCE}\nnpm start\n${FENCE}\n\`;\n${FENCE}\`\n`, `const md = \`\n${FENCE}\nnpm start\n${FENCE}\n\`;\n`, "````"],
    ["a closing fence longer than the opening one", `${FENCE}\nx\n${FENCE}\`\n`, "x\n"],
    ["nothing inside", `${FENCE}\n${FENCE}\n`, ""],
  ];
  for (const [name, content, expected, fence] of unfenced) {
    it(`removes it: ${name}`, () => {
      expectEveryChunking(`<file path="src/f.txt">${content}</file>`, [
        opened("src/f.txt"),
        fenceRemoved("src/f.txt", fence),
        written("src/f.txt", expected),
      ]);
    });
  }

  const kept: [string, string, string][] = [
    ["a fence in the middle of a file", "README.txt", `Usage:\n${FENCE}\nnpm start\n${FENCE}\n`],
    ["a template literal holding fence lines", "src/help.js", `const help = \`\n${FENCE}\nnpm start\n${FENCE}\n\`;\n`],
    ["two code blocks", "notes.txt", `${FENCE}js\na\n${FENCE}\ntext\n${FENCE}\nb\n${FENCE}\n`],
    ["text after the closing fence", "src/a.js", `${FENCE}js\na\n${FENCE}\nmore\n`],
    ["a backtick in the language tag", "src/a.js", `${FENCE}js\`\na\n${FENCE}\n`],
    ["a closing fence of the other character", "src/a.js", `~~~\na\n${FENCE}\nb\n~~~\nc\n`],
    ["a Markdown file (.md)", "README.md", `${FENCE}\nnpm start\n${FENCE}\n`],
    ["a Markdown file (.mdx)", "docs/a.mdx", `${FENCE}js\nx\n${FENCE}\n`],
    ["a Markdown file (.markdown)", "docs/A.MARKDOWN", `${FENCE}js\nx\n`],
  ];
  for (const [name, path, content] of kept) {
    it(`leaves the content alone: ${name}`, () => {
      expectEveryChunking(`<file path="${path}">\n${content}</file>`, [opened(path), written(path, content)]);
    });
  }

  it("removes only the opening fence line when the closing one is missing, however the file ended", () => {
    expectEveryChunking(`<file path="a.js">\n${FENCE}js\nconsole.log(1)\n</file>\n${FENCE}`, [
      opened("a.js"),
      fenceUnclosed("a.js"),
      written("a.js", "console.log(1)\n"),
      { type: "text", text: `\n${FENCE}` },
    ]);
    expectEveryChunking(`<file path="a.js">\n${FENCE}js\none\n\n<file path="b.js">two</file>`, [
      opened("a.js"),
      endedBy("a.js", '<file path="b.js">'),
      fenceUnclosed("a.js"),
      written("a.js", "one\n\n"),
      opened("b.js"),
      written("b.js", "two"),
    ]);
    expectEveryChunking(`<file path="a.js">\n~~~~\nconsole.log(1)\n`, [opened("a.js"), keptAtEnd("a.js"), fenceUnclosed("a.js", "~~~~"), written("a.js", "console.log(1)\n")], {
      complete: true,
    });
  });
});

describe("protocol parser: a block tag opening inside an unclosed file", () => {
  it("ends the file at the line before the tag, says so, and reads the tag", () => {
    const transcript = '<file path="a.js">one\n<file path="b.js">two</file>';
    const expected = [opened("a.js"), endedBy("a.js", '<file path="b.js">'), written("a.js", "one\n"), opened("b.js"), written("b.js", "two")];
    expectEveryChunking(transcript, expected);
    for (let i = 0; i <= transcript.length; i++) {
      for (let j = i; j <= transcript.length; j++) {
        const events = parseChunks([transcript.slice(0, i), transcript.slice(i, j), transcript.slice(j)]);
        if (JSON.stringify(events) !== JSON.stringify(expected)) expect({ i, j, events }).toEqual({ i, j, events: expected });
      }
    }
  });

  it("drops the spaces before the tag and keeps the line break before it, CRLF included", () => {
    expectEveryChunking('<file path="a.js">\r\none\r\n  \t<edit path="b.js"><search>x</search><replace>y</replace></edit>', [
      opened("a.js"),
      endedBy("a.js", '<edit path="b.js">'),
      written("a.js", "one\r\n"),
      { type: "edit", path: "b.js", search: "x", replace: "y" },
    ]);
  });

  it("is ended by a self-closing <delete>, and by a tag on the line right after its opening tag", () => {
    expectEveryChunking('<file path="a.js">\none\n<delete path=\'old.js\' />\nafter', [
      opened("a.js"),
      endedBy("a.js", '<delete path="old.js"/>'),
      written("a.js", "one\n"),
      { type: "delete", path: "old.js" },
      { type: "text", text: "\nafter" },
    ]);
    expectEveryChunking('<file path="a.js">\n<file path="b.js">two</file>', [
      opened("a.js"),
      endedBy("a.js", '<file path="b.js">'),
      written("a.js", ""),
      opened("b.js"),
      written("b.js", "two"),
    ]);
  });

  it("keeps the file when the next tag's path is refused, which is then reported as before", () => {
    const events = parseChunks(['<file path="a.js">one\n<file path="../b.js">two</file>after']);
    expect(events.slice(0, 3)).toEqual([opened("a.js"), endedBy("a.js", '<file path="../b.js">'), written("a.js", "one\n")]);
    expect(errors(events)).toEqual([expect.stringMatching(/^<file path="\.\.\/b\.js">: .* The <file> block was skipped\.$/)]);
    expect(events[events.length - 1]).toEqual({ type: "text", text: "after" });
  });

  it("also ends a file being skipped (refused path or over the size limit)", () => {
    const refused = parseChunks(['<file path="../x.js">\nsecret\n<file path="b.js">two</file>']);
    expect(errors(refused)).toHaveLength(1);
    expect(withoutText(refused).filter((e) => e.type !== "error")).toEqual([opened("b.js"), written("b.js", "two")]);
    expectEveryChunking(`<file path="big.txt">${"x".repeat(20)}\n<file path="b.js">two</file>`, [
      opened("big.txt"),
      { type: "error", message: '<file path="big.txt"> is larger than 10 bytes; it was not written. Split it into smaller files.' },
      opened("b.js"),
      written("b.js", "two"),
    ], { maxFileBytes: 10 });
  });

  it("leaves everything else in the content as before", () => {
    const content = [
      "const a = '<file path=\"x.js\">'; x = 1; <file path=\"y.js\">",
      "<file>not a tag without a path",
      '<file path="y.js"/>',
      '  <delete path="z.js">',
      "<command>npm test</command>",
      "<file path=unquoted.js>",
      '<edit path="w.js"',
      'const s = "</file";',
      '<files path="v.js">',
      '\t<file path="ok.js" mode="w">',
      "",
    ].join("\n");
    // The last line is a well-formed tag at the start of a line: it ends the file, the rest does not.
    const [kept] = content.split('\t<file path="ok.js"');
    expectEveryChunking(`<file path="a.jsx">\n${content}more</file>`, [
      opened("a.jsx"),
      endedBy("a.jsx", '<file path="ok.js">'),
      written("a.jsx", kept),
      opened("ok.js"),
      written("ok.js", "more"),
    ]);
    const withoutTag = content.replace('\t<file path="ok.js" mode="w">\n', "");
    expectEveryChunking(`<file path="a.jsx">\n${withoutTag}</file>`, [opened("a.jsx"), written("a.jsx", withoutTag)]);
    expectEveryChunking('<file path="a.js">x<file path="b.js">y</file>', [opened("a.js"), written("a.js", 'x<file path="b.js">y')]);
  });
});

describe("protocol parser: an unclosed last file", () => {
  it("is kept when the answer ended normally", () => {
    expectEveryChunking('Here:\n<file path="a.js">\nconsole.log(1)\n', [
      { type: "text", text: "Here:\n" },
      opened("a.js"),
      keptAtEnd("a.js"),
      written("a.js", "console.log(1)\n"),
    ], { complete: true });
    expectEveryChunking(`<file path="a.js">\n${FENCE}js\nconsole.log(1)\n${FENCE}\n`, [
      opened("a.js"),
      keptAtEnd("a.js"),
      fenceRemoved("a.js"),
      written("a.js", "console.log(1)\n"),
    ], { complete: true });
  });

  it("keeps what was held back at the end as content", () => {
    expectEveryChunking('<file path="a.js">x</fi', [opened("a.js"), keptAtEnd("a.js"), written("a.js", "x</fi")], { complete: true });
    expectEveryChunking('<file path="a.js">x\n<file path="b', [opened("a.js"), keptAtEnd("a.js"), written("a.js", 'x\n<file path="b')], { complete: true });
    expectEveryChunking('<file path="a.js">\r\n', [opened("a.js"), keptAtEnd("a.js"), written("a.js", "")], { complete: true });
    expectEveryChunking('<file path="a.js">', [opened("a.js"), keptAtEnd("a.js"), written("a.js", "")], { complete: true });
  });

  it("is dropped with an error when the stream was cut", () => {
    const transcript = '<file path="a.js">\nconsole.log(1)\n';
    expectEveryChunking(transcript, [opened("a.js"), cutOff("a.js")]);
    expectEveryChunking(transcript, [opened("a.js"), cutOff("a.js")], { complete: false });
    const parser = createProtocolParser();
    expect(parser.push(transcript)).toEqual([opened("a.js")]);
    expect(parser.end()).toEqual([cutOff("a.js")]);
  });

  it("is still checked against the size limit, and a skipped file stays an error", () => {
    expect(parseProtocol(`<file path="a.txt">${"x".repeat(10)}`, { maxFileBytes: 10, complete: true })).toEqual([
      opened("a.txt"),
      keptAtEnd("a.txt"),
      written("a.txt", "x".repeat(10)),
    ]);
    // The held "</fi" is content once the answer has ended, and takes the file over the limit.
    const parser = createProtocolParser({ maxFileBytes: 10 });
    expect(parser.push(`<file path="a.txt">${"x".repeat(8)}</fi`)).toEqual([opened("a.txt")]);
    expect(parser.end({ complete: true })).toEqual([
      { type: "error", message: '<file path="a.txt"> is larger than 10 bytes; it was not written. Split it into smaller files.' },
    ]);
    expect(errors(parseProtocol('<file path="../a.txt">x', { complete: true }))).toHaveLength(2);
  });

  it("leaves unclosed edits and commands as errors", () => {
    expect(parseProtocol('<edit path="a.ts"><search>x', { complete: true })).toEqual([
      { type: "error", message: '<edit path="a.ts"> was not closed: the output ended before </edit>.' },
    ]);
    expect(parseProtocol("<command>npm test", { complete: true })).toEqual([
      { type: "error", message: "<command> was not closed: the output ended before </command>, so nothing was run." },
    ]);
  });
});

describe("protocol parser: a chat-model answer with every repair", () => {
  const common: ProtocolEvent[] = [
    { type: "text", text: "Files, chat-model style:\n" },
    opened("src/a.js"),
    fenceRemoved("src/a.js"),
    written("src/a.js", "console.log(1)\n"),
    { type: "text", text: "\n" },
    opened("README.md"),
    written("README.md", `${FENCE}\nkept fenced\n${FENCE}\n`),
    { type: "text", text: "\n" },
    opened("src/b.ts"),
    endedBy("src/b.ts", '<edit path="src/c.ts">'),
    written("src/b.ts", 'const b = "<file path=\'x\'>"; // <file path="y.ts">\n'),
    { type: "edit", path: "src/c.ts", search: "1", replace: "2" },
    { type: "text", text: "\n" },
    opened("src/d.py"),
    endedBy("src/d.py", '<delete path="gone.txt"/>'),
    fenceUnclosed("src/d.py", "~~~"),
    written("src/d.py", 'print("<file>")\n<command>ls</command>\n'),
    { type: "delete", path: "gone.txt" },
    { type: "text", text: "\n" },
    opened("src/e.txt"),
  ];

  it("repairs what it can and drops the last file when the stream was cut", () => {
    expect(parseChunks([REPAIRED])).toEqual([...common, cutOff("src/e.txt")]);
  });

  it("keeps the last file when the answer ended normally", () => {
    expect(parseChunks([REPAIRED], { complete: true })).toEqual([...common, keptAtEnd("src/e.txt"), written("src/e.txt", "tail")]);
  });
});

describe("protocol parser: the same events whatever the chunking", () => {
  for (const [name, transcript, options] of Object.entries(TRANSCRIPTS).flatMap(([name, transcript]) => [
    [name, transcript, OPTIONS] as const,
    [`${name} (complete)`, transcript, { ...OPTIONS, complete: true }] as const,
  ])) {
    const expected = parseChunks([transcript], options);

    it(`${name}: every single split point gives the same events`, () => {
      expect(expected.length).toBeGreaterThan(3);
      for (let k = 0; k <= transcript.length; k++) {
        const events = parseChunks([transcript.slice(0, k), transcript.slice(k)], options);
        if (JSON.stringify(events) !== JSON.stringify(expected)) {
          expect({ split: k, events }).toEqual({ split: k, events: expected });
        }
      }
    });

    it(`${name}: 1-character chunks give the same events`, () => {
      expect(parseChunks(transcript.split(""), options)).toEqual(expected);
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
        expect(parseChunks(chunks, options)).toEqual(expected);
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
