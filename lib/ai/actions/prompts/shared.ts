import { z } from "zod";
import { modelChoiceField } from "../../model-choice";
import type { ChatMessage } from "../../types";

/**
 * Pieces every single-shot action shares: the input limits, the base
 * request schema, and how code is shown to the model.
 */

export const MAX_CODE_BYTES = 100 * 1024;
/** JSON escaping can double code's size; every field together stays well under this. */
export const MAX_ACTION_BODY_BYTES = 512 * 1024;

const withinBytes = (max: number) => (s: string) => Buffer.byteLength(s, "utf8") <= max;

export const codeField = z
  .string()
  .min(1, "code is required")
  .refine(withinBytes(MAX_CODE_BYTES), `code must be at most ${MAX_CODE_BYTES / 1024} KB`);

export const baseActionSchema = z.object({
  code: codeField,
  language: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[\w#+.\- ]+$/, "language must be a plain name such as typescript or c++"),
  path: z.string().trim().min(1).max(500).optional(),
  /** The part of `code` the user selected, verbatim. */
  selection: z
    .string()
    .min(1)
    .refine(withinBytes(MAX_CODE_BYTES), `selection must be at most ${MAX_CODE_BYTES / 1024} KB`)
    .optional(),
  projectId: z.string().trim().min(1).max(100).optional(),
  /** A ModelOption id (GET /api/models); default: the first available. */
  model: modelChoiceField.optional(),
});

export type BaseActionInput = z.infer<typeof baseActionSchema>;

/** An action: its request schema, the output cap, and how its prompt is written. */
export interface ActionDefinition<T> {
  schema: z.ZodType<T>;
  maxOutputTokens: number;
  buildMessages(input: T): ChatMessage[];
  /** Characters the prompt carries, for the credit estimate. */
  inputChars(input: T): number;
}

/** A fenced block whose fence cannot be closed by the code inside it. */
export function fenced(code: string, language = ""): string {
  let fence = "```";
  while (code.includes(fence)) fence += "`";
  return `${fence}${language}\n${code}\n${fence}`;
}

export function describeFile(input: Pick<BaseActionInput, "language" | "path">): string {
  return input.path ? `the ${input.language} file \`${input.path}\`` : `this ${input.language} code`;
}

export function selectionNote(input: Pick<BaseActionInput, "selection" | "language">): string {
  if (!input.selection) return "";
  return `\n\nThe user selected this part of it; focus on the selection and use the rest as context:\n\n${fenced(input.selection, input.language)}`;
}

export const baseChars = (input: BaseActionInput) => input.code.length + (input.selection?.length ?? 0) + (input.path?.length ?? 0);
