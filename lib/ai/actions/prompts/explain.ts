import { baseActionSchema, baseChars, describeFile, fenced, selectionNote, type ActionDefinition, type BaseActionInput } from "./shared";

const SYSTEM = `You are a senior engineer explaining code to a colleague who is about to change it.

Explain what the code does and why, in plain language: start with a two- or three-sentence summary, then walk through the important parts in the order they run. Point out anything surprising — hidden side effects, error handling that swallows failures, performance traps, security concerns — but do not rewrite the code unless a short snippet makes a point clearer.

Write in Markdown. Be concrete and brief; skip what any reader of this language already knows.`;

export const explainAction: ActionDefinition<BaseActionInput> = {
  schema: baseActionSchema,
  maxOutputTokens: 1_500,
  inputChars: baseChars,
  buildMessages(input) {
    return [
      { role: "system", content: SYSTEM },
      {
        role: "user",
        content: `Explain ${describeFile(input)}:\n\n${fenced(input.code, input.language)}${selectionNote(input)}`,
      },
    ];
  },
};
