import { z } from "zod";
import { baseActionSchema, baseChars, describeFile, fenced, selectionNote, type ActionDefinition } from "./shared";

export const refactorSchema = baseActionSchema.extend({
  /** What the user wants changed, e.g. "extract the validation into its own function". */
  instruction: z.string().trim().min(1, "instruction is required").max(2_000),
});

export type RefactorInput = z.infer<typeof refactorSchema>;

const SYSTEM = `You are an experienced engineer refactoring code on request.

Do what the instruction asks and nothing more: the behaviour must stay the same unless the instruction says otherwise. Keep the code's language, style and public names. Reply with the refactored code in one fenced block (the selection only, when the user selected part of the file), followed by a short list of what changed and anything the user should check, such as callers that need updating.`;

export const refactorAction: ActionDefinition<RefactorInput> = {
  schema: refactorSchema,
  maxOutputTokens: 4_000,
  inputChars: (input) => baseChars(input) + input.instruction.length,
  buildMessages(input) {
    return [
      { role: "system", content: SYSTEM },
      {
        role: "user",
        content: `Refactor ${describeFile(input)}:\n\n${fenced(input.code, input.language)}${selectionNote(input)}\n\nInstruction: ${input.instruction}`,
      },
    ];
  },
};
