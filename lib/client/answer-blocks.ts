/**
 * Splits an AI answer (Markdown, possibly still streaming) into prose and
 * fenced code blocks, for display and for "Apply". A fence still open at the
 * end is a block being written (`closed: false`).
 */

export type AnswerBlock = { type: "text"; text: string } | { type: "code"; language: string; code: string; closed: boolean };

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([\w#+.-]*)[^\n]*$/;

export function splitAnswer(answer: string): AnswerBlock[] {
  const blocks: AnswerBlock[] = [];
  const lines = answer.split("\n");
  let text: string[] = [];
  let code: { fence: string; language: string; lines: string[] } | null = null;

  const flushText = () => {
    const joined = text.join("\n");
    if (joined.trim()) blocks.push({ type: "text", text: joined.replace(/^\n+|\n+$/g, "") });
    text = [];
  };

  for (const line of lines) {
    if (code) {
      const trimmed = line.trim();
      if (trimmed.startsWith(code.fence[0]) && /^(`{3,}|~{3,})$/.test(trimmed) && trimmed.length >= code.fence.length && trimmed[0] === code.fence[0]) {
        blocks.push({ type: "code", language: code.language, code: code.lines.join("\n"), closed: true });
        code = null;
      } else {
        code.lines.push(line);
      }
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open && !(open[1][0] === "`" && line.slice(line.indexOf(open[1]) + open[1].length).includes("`"))) {
      flushText();
      code = { fence: open[1], language: open[2] ?? "", lines: [] };
      continue;
    }
    text.push(line);
  }
  if (code) blocks.push({ type: "code", language: code.language, code: code.lines.join("\n"), closed: false });
  else flushText();
  return blocks;
}

/** The code of the answer's only complete code block, or null when there is none or more than one. */
export function singleCodeBlock(answer: string): string | null {
  const code = splitAnswer(answer).filter((b) => b.type === "code");
  if (code.length !== 1 || code[0].type !== "code" || !code[0].closed) return null;
  return code[0].code;
}

/**
 * The file with `selection` (found at or after line `startLine`, 1-based)
 * replaced by `replacement`; null when the selection is not in the file any
 * more.
 */
export function replaceSelection(content: string, selection: { text: string; startLine: number }, replacement: string): string | null {
  let lineStart = 0;
  for (let line = 1; line < selection.startLine && lineStart >= 0; line++) {
    const next = content.indexOf("\n", lineStart);
    lineStart = next < 0 ? -1 : next + 1;
  }
  if (lineStart < 0) return null;
  const at = content.indexOf(selection.text, lineStart);
  if (at < 0) return null;
  return content.slice(0, at) + replacement + content.slice(at + selection.text.length);
}
