import type { ProtocolEvent, ProtocolParser } from "@/lib/ai/types";
import { MAX_FILE_BYTES, normalizeProjectPath } from "@/lib/files/paths";
import {
  findOpenTagEnd,
  matchBlockOpener,
  matchToken,
  parseAttributes,
  type BlockTag,
  type ParsedAttributes,
} from "./lexer";

/**
 * Incremental parser for the role output protocol (docs/architecture.md#the-output-protocol):
 *
 *   <file path="src/App.tsx">…whole content…</file>
 *   <edit path="…"><search>…</search><replace>…</replace></edit>
 *   <delete path="…"/>
 *   <command>npm test</command>
 *
 * Rules, decided once:
 * - Tag names are lower case; attribute values take single or double quotes.
 * - A file's content is everything between its opening tag and the first
 *   exact `</file>`, verbatim (so JSX, HTML and even protocol-looking text
 *   are content), except that ONE line break (`\n` or `\r\n`) right after
 *   the opening tag is dropped. The same rule holds for `<search>`,
 *   `<replace>` and `<command>` bodies (a command is then trimmed). Only
 *   files get the repairs below.
 * - An edit may hold several `<search>…</search><replace>…</replace>` pairs;
 *   each pair is one `edit` event, emitted when its `</replace>` is read.
 *   Only whitespace may stand between the pairs.
 * - Inside `<edit>` and `<command>`, the start of another block tag
 *   (`<file `, `<edit `, `<delete `, `<command>`) means the outer tag was
 *   never closed: an `error` is emitted, the outer block is dropped and the
 *   inner tag is parsed normally.
 * - A block with a bad path or a malformed opening tag is reported and its
 *   body skipped up to its closing tag. A file over the size limit is
 *   reported as soon as it crosses the limit and the rest is discarded.
 * - Anything else, including stray closing tags, is explanation `text`.
 *
 * Repairs of what chat models write instead of the protocol. Each one is a
 * `repair` event for the file's path, emitted right before its `file` event:
 * - A file never closed with `</file>` ends at a complete, well-formed
 *   `<file path="…">`, `<edit path="…">` or `<delete path="…"/>` opening
 *   tag (quoted attributes, a path attribute, self-closing for delete and
 *   only for delete) standing at the start of a line, with only spaces or
 *   tabs before it. The file keeps everything up to and including the line
 *   break that ends the line before that tag; the spaces or tabs before the
 *   tag are dropped, and the tag is then parsed normally. Nothing else ends
 *   file content: such a tag in mid-line or right after the file's opening
 *   tag on the same line, `<file>` without a path, a self-closing `<file/>`,
 *   `<command>`, a malformed tag or `</file` in a string all stay content.
 *   A file being skipped (bad path, over the size limit) ends there too,
 *   silently.
 * - At the end, an unclosed file is dropped with an `error` (the answer was
 *   cut off), unless `end({ complete: true })` says the answer ended
 *   normally: then it is kept with everything read after its opening tag
 *   (a held partial tag included). Unclosed `<edit>` and `<command>` blocks
 *   are errors either way.
 * - A code fence wrapping a kept file is removed: when the file's first
 *   non-blank line is an opening fence (3 or more backticks or tildes, then
 *   an optional language tag, which for backticks holds no backtick) and
 *   the first closing fence after it (the same character, at least as many,
 *   only spaces or tabs besides) is its last non-blank line, the content is
 *   the lines between the two, verbatim, each with its line break. With no
 *   closing fence at all (forgotten, or written after `</file>`), only the
 *   lines up to and including the opening fence are removed, however the
 *   file ended. Anything but blank lines after the closing fence, or no
 *   fence on the first non-blank line, leaves the content as it is; so do
 *   Markdown files (.md, .mdx, .markdown), which may be one code block.
 *
 * The parser only decides from characters it has: when the buffer ends
 * before a decision (a possible tag prefix), it holds just that tail. The
 * events are therefore the same for any chunking, once adjacent `text`
 * events are merged. It never throws on input.
 */
export interface ProtocolParserOptions {
  /** UTF-8 bytes allowed per file (and per search/replace body). Default: MAX_FILE_BYTES. */
  maxFileBytes?: number;
}

export interface ParseProtocolOptions extends ProtocolParserOptions {
  /** The answer ended normally: passed to `end()`, so an unclosed last file is kept. */
  complete?: boolean;
}

export const MAX_COMMAND_BYTES = 4096;

interface Body {
  pieces: string[];
  bytes: number;
  atStart: boolean;
}

type State =
  | { kind: "text" }
  | { kind: "file"; path: string; body: Body }
  | { kind: "edit"; path: string; expect: "search" | "replace"; pairs: number; search: string }
  | { kind: "search"; path: string; pairs: number; body: Body }
  | { kind: "replace"; path: string; pairs: number; search: string; body: Body }
  | { kind: "command"; body: Body }
  /** Discarding a block already reported as an error, up to `</tag>`. */
  | { kind: "skip"; tag: BlockTag };

type BodyScan =
  | { kind: "close"; at: number }
  | { kind: "opener"; at: number; tag: BlockTag }
  /** A tag at the start of a line that ends an unclosed file; `tag` is how to name it. */
  | { kind: "next"; at: number; tag: string }
  /** Everything before `safeEnd` is content; the rest may start a tag. */
  | { kind: "more"; safeEnd: number };

const TEXT: State = { kind: "text" };

function newBody(): Body {
  return { pieces: [], bytes: 0, atStart: true };
}

/** UTF-8 size where each surrogate half counts 2, so a pair split across chunks still counts 4. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdfff) bytes += 2;
    else bytes += 3;
  }
  return bytes;
}

function isWhitespace(char: string): boolean {
  return char === " " || char === "\t" || char === "\n" || char === "\r";
}

/** Scans an `<edit>`/`<command>` body for its closing tag and for a block tag that should not be there. */
function scanBody(buffer: string, from: number, closeTag: string): BodyScan {
  for (let i = buffer.indexOf("<", from); i !== -1; i = buffer.indexOf("<", i + 1)) {
    const close = matchToken(buffer, i, closeTag);
    if (close === "match") return { kind: "close", at: i };
    const opener = matchBlockOpener(buffer, i);
    if (opener.kind === "match") return { kind: "opener", at: i, tag: opener.tag };
    if (close === "partial" || opener.kind === "partial") return { kind: "more", safeEnd: i };
  }
  return { kind: "more", safeEnd: buffer.length };
}

/** Does text[0, end) stop at the start of a line, give or take spaces and tabs? `before`: did the text before it? */
function endsAtLineStart(text: string, end: number, before: boolean): boolean {
  let i = end - 1;
  while (i >= 0 && (text[i] === " " || text[i] === "\t")) i--;
  return i < 0 ? before : text[i] === "\n";
}

function trimEndSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === " " || text[end - 1] === "\t")) end--;
  return text.slice(0, end);
}

/**
 * At `at`, a complete opening tag that ends an unclosed file: "partial" while the buffer ends
 * before that can be told, null when it is not one.
 */
function fileEndingTag(buffer: string, at: number): { name: string } | "partial" | null {
  const opener = matchBlockOpener(buffer, at);
  if (opener.kind === "partial") return "partial";
  if (opener.kind === "none" || opener.tag === "command") return null;
  const end = findOpenTagEnd(buffer, at, opener.nameEnd);
  if (end.kind === "partial") return "partial";
  if (end.kind === "unterminated") return null;
  const attributes = parseAttributes(end.attributes);
  if (!attributes.ok || attributes.selfClosing !== (opener.tag === "delete")) return null;
  const path = attributes.attributes.path;
  if (path === undefined) return null;
  return { name: `<${opener.tag} path=${quoted(path)}${opener.tag === "delete" ? "/" : ""}>` };
}

const MARKDOWN_PATH = /\.(md|mdx|markdown)$/i;
const OPENING_FENCE = /^[ \t]*(`{3,}|~{3,})([^\n]*)$/;
const CLOSING_FENCE = /^[ \t]*(`{3,}|~{3,})[ \t]*\r?$/;
const BLANK_LINE = /^[ \t]*\r?$/;

/** The content without a code fence wrapping all of it (see the rules above), or null when there is none. */
function unfence(content: string): { content: string; fence: string; closed: boolean } | null {
  if (!/^\s*(```|~~~)/.test(content)) return null;
  const lines = content.split("\n");
  let first = 0;
  while (BLANK_LINE.test(lines[first])) first++;
  const opening = OPENING_FENCE.exec(lines[first]);
  if (!opening) return null;
  const fence = opening[1];
  if (fence[0] === "`" && opening[2].includes("`")) return null;
  let close = first + 1;
  for (; close < lines.length; close++) {
    const closing = CLOSING_FENCE.exec(lines[close]);
    if (closing && closing[1][0] === fence[0] && closing[1].length >= fence.length) break;
  }
  if (close === lines.length) return { content: lines.slice(first + 1).join("\n"), fence, closed: false };
  if (!lines.slice(close + 1).every((line) => BLANK_LINE.test(line))) return null;
  return { content: lines.slice(first + 1, close).map((line) => `${line}\n`).join(""), fence, closed: true };
}

function quoted(path: string): string {
  return JSON.stringify(path);
}

class StreamingProtocolParser implements ProtocolParser {
  private buffer = "";
  private pos = 0;
  private state: State = TEXT;
  private events: ProtocolEvent[] = [];
  /** Whether the input before `buffer` ends at the start of a line (give or take spaces and tabs). */
  private lineStart = true;
  private readonly maxFileBytes: number;

  constructor(options: ProtocolParserOptions) {
    this.maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  }

  push(chunk: string): ProtocolEvent[] {
    this.lineStart = endsAtLineStart(this.buffer, this.pos, this.lineStart);
    this.buffer = this.buffer.slice(this.pos) + chunk;
    this.pos = 0;
    while (this.step()) {
      // each step consumes input or changes state; it returns false when it needs more input
    }
    return this.takeEvents();
  }

  end(options: { complete?: boolean } = {}): ProtocolEvent[] {
    this.finish(options.complete ?? false);
    this.buffer = "";
    this.pos = 0;
    this.state = TEXT;
    this.lineStart = true;
    return this.takeEvents();
  }

  private takeEvents(): ProtocolEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  private emitText(text: string): void {
    if (text === "") return;
    const last = this.events[this.events.length - 1];
    if (last?.type === "text") last.text += text;
    else this.events.push({ type: "text", text });
  }

  private error(message: string): void {
    this.events.push({ type: "error", message });
  }

  private repair(path: string, message: string): void {
    this.events.push({ type: "repair", path, message });
  }

  /** Emits a kept file, unfenced (with its repair) unless it is Markdown. */
  private emitFile(path: string, content: string): void {
    const unfenced = MARKDOWN_PATH.test(path) ? null : unfence(content);
    if (unfenced?.closed) {
      this.repair(path, `The ${unfenced.fence} code fence around ${path} was removed, so the file holds only the code inside it.`);
    } else if (unfenced) {
      this.repair(path, `${path} began with a ${unfenced.fence} code fence that was never closed; that fence line was removed.`);
    }
    this.events.push({ type: "file", path, content: unfenced ? unfenced.content : content });
  }

  /** Scans file content for `</file>` and for a tag at the start of a line that ends an unclosed file. */
  private scanFile(from: number): BodyScan {
    const { buffer } = this;
    for (let i = buffer.indexOf("<", from); i !== -1; i = buffer.indexOf("<", i + 1)) {
      const close = matchToken(buffer, i, "</file>");
      if (close === "match") return { kind: "close", at: i };
      if (close === "partial") return { kind: "more", safeEnd: i };
      if (!endsAtLineStart(buffer, i, this.lineStart)) continue;
      const next = fileEndingTag(buffer, i);
      if (next === "partial") return { kind: "more", safeEnd: i };
      if (next !== null) return { kind: "next", at: i, tag: next.name };
    }
    return { kind: "more", safeEnd: buffer.length };
  }

  private step(): boolean {
    switch (this.state.kind) {
      case "text":
        return this.stepText();
      case "file":
        return this.stepFile(this.state);
      case "edit":
        return this.stepEdit(this.state);
      case "search":
      case "replace":
        return this.stepEditBody(this.state);
      case "command":
        return this.stepCommand(this.state);
      case "skip":
        return this.stepSkip(this.state);
    }
  }

  private stepText(): boolean {
    const { buffer } = this;
    const lt = buffer.indexOf("<", this.pos);
    if (lt === -1) {
      this.emitText(buffer.slice(this.pos));
      this.pos = buffer.length;
      return false;
    }
    this.emitText(buffer.slice(this.pos, lt));
    this.pos = lt;
    const opener = matchBlockOpener(buffer, lt);
    if (opener.kind === "partial") return false;
    if (opener.kind === "none") {
      this.emitText("<");
      this.pos = lt + 1;
      return true;
    }
    const end = findOpenTagEnd(buffer, lt, opener.nameEnd);
    if (end.kind === "partial") return false;
    if (end.kind === "unterminated") {
      this.error(`Malformed <${opener.tag}> tag: ${end.reason}. It was read as plain text.`);
      this.emitText(buffer.slice(lt, opener.nameEnd));
      this.pos = opener.nameEnd;
      return true;
    }
    this.pos = end.end;
    this.openBlock(opener.tag, parseAttributes(end.attributes));
    return true;
  }

  private openBlock(tag: BlockTag, attributes: ParsedAttributes): void {
    if (tag === "command") {
      if (attributes.ok && attributes.selfClosing) this.error("Empty <command/>: write <command>npm test</command>.");
      else this.state = { kind: "command", body: newBody() };
      return;
    }
    if (tag !== "delete" && attributes.ok && attributes.selfClosing) {
      this.error(`<${tag} …/> cannot be self-closing: write <${tag} path="…">…</${tag}>.`);
      return;
    }
    const path = this.pathOf(tag, attributes);
    if (path === null) {
      if (tag !== "delete") this.state = { kind: "skip", tag };
      return;
    }
    if (tag === "delete") {
      this.events.push({ type: "delete", path });
    } else if (tag === "file") {
      this.events.push({ type: "file_open", path });
      this.state = { kind: "file", path, body: newBody() };
    } else {
      this.state = { kind: "edit", path, expect: "search", pairs: 0, search: "" };
    }
  }

  /** The normalized path attribute, or null after reporting why there is none. */
  private pathOf(tag: BlockTag, attributes: ParsedAttributes): string | null {
    const skipped = tag === "delete" ? "Nothing was deleted." : `The <${tag}> block was skipped.`;
    if (!attributes.ok) {
      this.error(`Malformed <${tag}> tag: ${attributes.reason}. ${skipped}`);
      return null;
    }
    const raw = attributes.attributes.path;
    if (raw === undefined) {
      this.error(`<${tag}> tag without a path attribute. ${skipped}`);
      return null;
    }
    try {
      return normalizeProjectPath(raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.error(`<${tag} path=${quoted(raw)}>: ${reason} ${skipped}`);
      return null;
    }
  }

  /** Drops the one line break allowed right after an opening tag; false while that cannot be decided. */
  private skipLeadingNewline(body: Body): boolean {
    if (!body.atStart) return true;
    const { buffer, pos } = this;
    if (pos >= buffer.length) return false;
    if (buffer[pos] === "\n") this.pos += 1;
    else if (buffer[pos] === "\r") {
      if (pos + 1 >= buffer.length) return false;
      if (buffer[pos + 1] === "\n") this.pos += 2;
    }
    body.atStart = false;
    return true;
  }

  /** Adds buffer[pos, end) to the body; false (and nothing kept) once the body is over `limit` bytes. */
  private appendToBody(body: Body, end: number, limit: number): boolean {
    const piece = this.buffer.slice(this.pos, end);
    this.pos = end;
    body.bytes += utf8Bytes(piece);
    if (body.bytes > limit) {
      body.pieces = [];
      return false;
    }
    if (piece !== "") body.pieces.push(piece);
    return true;
  }

  private stepFile(state: Extract<State, { kind: "file" }>): boolean {
    if (!this.skipLeadingNewline(state.body)) return false;
    const scan = this.scanFile(this.pos);
    const end = scan.kind === "more" ? scan.safeEnd : scan.at;
    const fits = this.appendToBody(state.body, end, this.maxFileBytes);
    if (!fits) this.tooLarge(state.path);
    if (scan.kind === "more") {
      if (!fits) this.state = { kind: "skip", tag: "file" };
      return !fits;
    }
    this.state = TEXT;
    if (scan.kind === "close") this.pos = scan.at + "</file>".length;
    if (!fits) return true;
    const content = state.body.pieces.join("");
    if (scan.kind === "close") {
      this.emitFile(state.path, content);
    } else {
      this.repair(state.path, `${state.path} was not closed; it was saved up to where ${scan.tag} begins.`);
      this.emitFile(state.path, trimEndSpaces(content));
    }
    return true;
  }

  private tooLarge(path: string): void {
    this.error(`<file path=${quoted(path)}> is larger than ${this.maxFileBytes} bytes; it was not written. Split it into smaller files.`);
  }

  private stepEdit(state: Extract<State, { kind: "edit" }>): boolean {
    const { buffer } = this;
    while (this.pos < buffer.length && isWhitespace(buffer[this.pos])) this.pos++;
    if (this.pos >= buffer.length) return false;
    const at = this.pos;
    const expected = state.expect === "search" ? "<search>" : "<replace>";
    const label = `<edit path=${quoted(state.path)}>`;

    const next = matchToken(buffer, at, expected);
    if (next === "match") {
      this.pos = at + expected.length;
      this.state =
        state.expect === "search"
          ? { kind: "search", path: state.path, pairs: state.pairs, body: newBody() }
          : { kind: "replace", path: state.path, pairs: state.pairs, search: state.search, body: newBody() };
      return true;
    }
    const close = matchToken(buffer, at, "</edit>");
    if (close === "match") {
      this.pos = at + "</edit>".length;
      if (state.expect === "replace") this.error(`${label}: <search> without a <replace>; that change was skipped.`);
      else if (state.pairs === 0) this.error(`${label} has no <search>…</search><replace>…</replace> pair.`);
      this.state = TEXT;
      return true;
    }
    const opener = matchBlockOpener(buffer, at);
    if (opener.kind === "match") {
      this.error(`<${opener.tag}> inside ${label}: the edit was not closed with </edit>.`);
      this.state = TEXT;
      return true;
    }
    if (next === "partial" || close === "partial" || opener.kind === "partial") return false;
    this.error(`${label}: expected ${expected}${state.pairs > 0 ? " or </edit>" : ""} but found other text; the rest of the edit was skipped.`);
    this.state = { kind: "skip", tag: "edit" };
    return true;
  }

  private stepEditBody(state: Extract<State, { kind: "search" | "replace" }>): boolean {
    if (!this.skipLeadingNewline(state.body)) return false;
    const closeTag = state.kind === "search" ? "</search>" : "</replace>";
    const label = `<edit path=${quoted(state.path)}>`;
    const scan = scanBody(this.buffer, this.pos, closeTag);
    if (scan.kind === "opener") {
      this.error(`<${scan.tag}> inside the <${state.kind}> of ${label}: ${closeTag} is missing, so the edit was dropped.`);
      this.pos = scan.at;
      this.state = TEXT;
      return true;
    }
    const end = scan.kind === "more" ? scan.safeEnd : scan.at;
    if (!this.appendToBody(state.body, end, this.maxFileBytes)) {
      this.error(`The <${state.kind}> of ${label} is larger than ${this.maxFileBytes} bytes; the edit was skipped.`);
      this.state = { kind: "skip", tag: "edit" };
      return true;
    }
    if (scan.kind === "more") return false;
    this.pos = scan.at + closeTag.length;
    const content = state.body.pieces.join("");
    if (state.kind === "search") {
      this.state = { kind: "edit", path: state.path, expect: "replace", pairs: state.pairs, search: content };
    } else {
      this.events.push({ type: "edit", path: state.path, search: state.search, replace: content });
      this.state = { kind: "edit", path: state.path, expect: "search", pairs: state.pairs + 1, search: "" };
    }
    return true;
  }

  private stepCommand(state: Extract<State, { kind: "command" }>): boolean {
    const scan = scanBody(this.buffer, this.pos, "</command>");
    if (scan.kind === "opener") {
      this.error(`<${scan.tag}> inside <command>: </command> is missing, so the command was dropped.`);
      this.pos = scan.at;
      this.state = TEXT;
      return true;
    }
    const end = scan.kind === "more" ? scan.safeEnd : scan.at;
    if (!this.appendToBody(state.body, end, MAX_COMMAND_BYTES)) {
      this.error(`<command> is longer than ${MAX_COMMAND_BYTES} bytes; it was skipped.`);
      this.state = { kind: "skip", tag: "command" };
      return true;
    }
    if (scan.kind === "more") return false;
    this.pos = scan.at + "</command>".length;
    const command = state.body.pieces.join("").trim();
    if (command === "") this.error("Empty <command></command>: nothing was run.");
    else this.events.push({ type: "command", command });
    this.state = TEXT;
    return true;
  }

  private stepSkip(state: Extract<State, { kind: "skip" }>): boolean {
    const closeTag = `</${state.tag}>`;
    const scan = state.tag === "file" ? this.scanFile(this.pos) : scanBody(this.buffer, this.pos, closeTag);
    if (scan.kind === "more") {
      this.pos = scan.safeEnd;
      return false;
    }
    this.pos = scan.kind === "close" ? scan.at + closeTag.length : scan.at;
    this.state = TEXT;
    return true;
  }

  private finish(complete: boolean): void {
    const rest = this.buffer.slice(this.pos);
    const state = this.state;
    switch (state.kind) {
      case "text": {
        const opener = matchBlockOpener(rest, 0);
        if (opener.kind === "match") this.error(`The output ended inside a <${opener.tag}> opening tag; that block was lost.`);
        else this.emitText(rest);
        return;
      }
      case "file":
        if (complete) this.keepUnclosedFile(state);
        else this.error(`<file path=${quoted(state.path)}> was not closed: the output was cut off before </file>, so the file was not written.`);
        return;
      case "edit":
      case "search":
      case "replace":
        this.error(`<edit path=${quoted(state.path)}> was not closed: the output ended before </edit>.`);
        return;
      case "command":
        this.error("<command> was not closed: the output ended before </command>, so nothing was run.");
        return;
      case "skip":
        this.error(`A skipped <${state.tag}> block was not closed: the output ended before </${state.tag}>.`);
        return;
    }
  }

  /** At the end of an answer that ended normally: the rest of the input is the file's content. */
  private keepUnclosedFile(state: Extract<State, { kind: "file" }>): void {
    this.skipLeadingNewline(state.body); // false only for a lone "\r", which is then content
    if (!this.appendToBody(state.body, this.buffer.length, this.maxFileBytes)) {
      this.tooLarge(state.path);
      return;
    }
    this.repair(state.path, `${state.path} was not closed, but the answer ended normally, so the file was kept.`);
    this.emitFile(state.path, state.body.pieces.join(""));
  }
}

export function createProtocolParser(options: ProtocolParserOptions = {}): ProtocolParser {
  return new StreamingProtocolParser(options);
}

/** Parses a whole transcript at once (tests, and callers that already hold the full text). */
export function parseProtocol(transcript: string, options: ParseProtocolOptions = {}): ProtocolEvent[] {
  const parser = createProtocolParser(options);
  return [...parser.push(transcript), ...parser.end({ complete: options.complete })];
}
