import { z } from "zod";
import { baseActionSchema, baseChars, describeFile, type ActionDefinition } from "./shared";

export const completeSchema = baseActionSchema
  .extend({
    /** Where the completion goes, as a UTF-16 offset into `code` (what editors report); default the end. */
    cursor: z.number().int().min(0).optional(),
  })
  .refine((input) => input.cursor === undefined || input.cursor <= input.code.length, {
    message: "cursor must be within code",
    path: ["cursor"],
  });

export type CompleteInput = z.infer<typeof completeSchema>;

const CURSOR = "<CURSOR>";

const SYSTEM = `You are a code completion engine inside an editor.

You are shown a file with the marker ${CURSOR} where the user's cursor is. Reply with ONLY the text to insert at the cursor: no explanation, no Markdown fences, no repetition of the code before or after the cursor. Complete the current statement or block in the style of the surrounding code; stop at a natural boundary rather than writing a whole program. If nothing sensible fits, reply with nothing.`;

export const completeAction: ActionDefinition<CompleteInput> = {
  schema: completeSchema,
  maxOutputTokens: 512,
  inputChars: baseChars,
  buildMessages(input) {
    const at = input.cursor ?? input.code.length;
    const marked = `${input.code.slice(0, at)}${CURSOR}${input.code.slice(at)}`;
    return [
      { role: "system", content: SYSTEM },
      { role: "user", content: `Complete ${describeFile(input)} at ${CURSOR}:\n\n${marked}` },
    ];
  },
};
