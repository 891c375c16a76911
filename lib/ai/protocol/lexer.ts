/**
 * Low-level recognisers for the output protocol's tags. Each one looks at a
 * buffer from a position and answers "yes", "no" or "cannot tell yet" (the
 * buffer ends before the answer is known), so the parser never decides
 * anything from where a chunk happened to end.
 */

export const BLOCK_TAGS = ["file", "edit", "delete", "command"] as const;
export type BlockTag = (typeof BLOCK_TAGS)[number];

/** Longest opening tag we wait for; beyond it the tag is malformed. */
export const MAX_OPEN_TAG_CHARS = 1024;

export type TokenMatch = "match" | "partial" | "none";

/** Does `buffer` hold exactly `token` at `at`? "partial" when it is cut short by the end of the buffer. */
export function matchToken(buffer: string, at: number, token: string): TokenMatch {
  const available = buffer.length - at;
  if (available >= token.length) return buffer.startsWith(token, at) ? "match" : "none";
  return token.startsWith(buffer.slice(at)) ? "partial" : "none";
}

function isTagNameEnd(char: string): boolean {
  return char === ">" || char === "/" || char === " " || char === "\t" || char === "\n" || char === "\r";
}

export type OpenerMatch = { kind: "match"; tag: BlockTag; nameEnd: number } | { kind: "partial" } | { kind: "none" };

/**
 * Is there the start of a block tag (`<file`, `<edit`, `<delete`, `<command`
 * followed by whitespace, `>` or `/`) at `at`? `<files>` and `< file` are not.
 */
export function matchBlockOpener(buffer: string, at: number): OpenerMatch {
  let partial = false;
  for (const tag of BLOCK_TAGS) {
    const nameEnd = at + 1 + tag.length;
    const match = matchToken(buffer, at, `<${tag}`);
    if (match === "partial") partial = true;
    if (match !== "match") continue;
    if (nameEnd >= buffer.length) partial = true;
    else if (isTagNameEnd(buffer[nameEnd])) return { kind: "match", tag, nameEnd };
  }
  return partial ? { kind: "partial" } : { kind: "none" };
}

export type OpenTagEnd =
  /** `end` is the index just past `>`; `attributes` the raw text between the name and `>`. */
  | { kind: "complete"; end: number; attributes: string }
  | { kind: "partial" }
  /** Never closed: a quoted value runs into a line break, or the tag is implausibly long. */
  | { kind: "unterminated"; reason: string };

/** Finds the `>` that ends an opening tag whose name ends at `nameEnd`; a `>` inside quotes does not count. */
export function findOpenTagEnd(buffer: string, tagStart: number, nameEnd: number): OpenTagEnd {
  let quote: string | null = null;
  const limit = Math.min(buffer.length, tagStart + MAX_OPEN_TAG_CHARS);
  for (let i = nameEnd; i < limit; i++) {
    const char = buffer[i];
    if (quote !== null) {
      if (char === quote) quote = null;
      else if (char === "\n") return { kind: "unterminated", reason: "an attribute value is missing its closing quote" };
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ">") {
      return { kind: "complete", end: i + 1, attributes: buffer.slice(nameEnd, i) };
    }
  }
  if (buffer.length >= tagStart + MAX_OPEN_TAG_CHARS) {
    return { kind: "unterminated", reason: `no ">" within ${MAX_OPEN_TAG_CHARS} characters` };
  }
  return { kind: "partial" };
}

export type ParsedAttributes =
  | { ok: true; attributes: Record<string, string>; selfClosing: boolean }
  | { ok: false; reason: string };

const ATTRIBUTE_NAME = /[A-Za-z_][\w.:-]*/y;
const WHITESPACE = /\s*/y;

/** Parses `name="value"` / `name='value'` pairs; values must be quoted. A trailing `/` marks a self-closing tag. */
export function parseAttributes(text: string): ParsedAttributes {
  const attributes: Record<string, string> = {};
  let i = 0;
  const skipWhitespace = () => {
    WHITESPACE.lastIndex = i;
    WHITESPACE.exec(text);
    i = WHITESPACE.lastIndex;
  };
  for (;;) {
    skipWhitespace();
    if (i >= text.length) return { ok: true, attributes, selfClosing: false };
    if (text[i] === "/") {
      i++;
      skipWhitespace();
      if (i >= text.length) return { ok: true, attributes, selfClosing: true };
      return { ok: false, reason: `unexpected "/" in the tag` };
    }
    ATTRIBUTE_NAME.lastIndex = i;
    const name = ATTRIBUTE_NAME.exec(text);
    if (!name) return { ok: false, reason: `unexpected ${JSON.stringify(text[i])} in the tag` };
    i = ATTRIBUTE_NAME.lastIndex;
    skipWhitespace();
    if (text[i] !== "=") return { ok: false, reason: `attribute ${name[0]} has no value` };
    i++;
    skipWhitespace();
    const quote = text[i];
    if (quote !== '"' && quote !== "'") {
      return { ok: false, reason: `the value of ${name[0]} must be in quotes` };
    }
    const close = text.indexOf(quote, i + 1);
    if (close === -1) return { ok: false, reason: `the value of ${name[0]} is missing its closing quote` };
    attributes[name[0]] = text.slice(i + 1, close);
    i = close + 1;
  }
}
