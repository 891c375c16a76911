/**
 * The output protocol every file-writing role follows (docs/architecture.md#the-output-protocol), in the
 * words the model reads. lib/ai/protocol parses exactly these tags.
 */
export const OUTPUT_PROTOCOL = `
How to write your answer

Everything you produce is read by a program while you write it, so follow these rules exactly.

To create a file, or to replace one completely, write the whole content between file tags:
<file path="src/App.tsx">
...the complete content of the file...
</file>

To change part of an existing file, prefer an edit. The search text must appear exactly once in the current file, character for character, including indentation; copy it from the file you were shown and include enough surrounding lines to make it unique:
<edit path="src/App.tsx"><search>
...the exact text to find...
</search><replace>
...the text that takes its place...
</replace></edit>

To remove a file:
<delete path="src/old.ts"/>

To ask for a shell command to be run in the project (installing, building, testing):
<command>npm test</command>

Paths are relative to the project root, with forward slashes, no leading "/" and no "..". Never put one tag inside another, and always close what you open. Do not wrap tags in Markdown code fences. Anything you write outside the tags is shown to the user as your explanation, so keep it short and useful.

An edit that does not match exactly once is refused, and you will be told why and asked to try again. Rewriting a whole file larger than about 4 KB just to change a few lines is wasteful and discouraged: use an edit. Write complete, working code: no placeholders, no "rest of the file unchanged" comments.
`.trim();
