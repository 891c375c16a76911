import { z } from "zod";
import { baseActionSchema, baseChars, describeFile, fenced, selectionNote, type ActionDefinition } from "./shared";

export const fixSchema = baseActionSchema.extend({
  /** The error message, stack trace or failing test output the user is looking at. */
  error: z.string().trim().min(1, "error is required").max(20_000),
});

export type FixInput = z.infer<typeof fixSchema>;

const SYSTEM = `You are a careful engineer fixing a bug someone has reported with an error message.

First find the cause: read the error, locate where in the code it comes from, and say in one or two sentences what is wrong. Then give the fix as the corrected code — the whole file when it is short, otherwise only the changed functions, each in its own fenced block with a line saying where it goes. Change only what the fix needs; keep the existing style, names and structure.

If the error cannot come from this code, say so and say where to look instead. Never invent APIs that the code does not already use.`;

export const fixAction: ActionDefinition<FixInput> = {
  schema: fixSchema,
  maxOutputTokens: 4_000,
  inputChars: (input) => baseChars(input) + input.error.length,
  buildMessages(input) {
    return [
      { role: "system", content: SYSTEM },
      {
        role: "user",
        content: `Fix ${describeFile(input)}:\n\n${fenced(input.code, input.language)}${selectionNote(input)}\n\nThe error:\n\n${fenced(input.error)}`,
      },
    ];
  },
};
