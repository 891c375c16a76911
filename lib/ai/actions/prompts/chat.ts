import { z } from "zod";
import { modelChoiceField } from "../../model-choice";
import { codeField, fenced, MAX_CODE_BYTES, type ActionDefinition } from "./shared";

export const MAX_CHAT_MESSAGES = 40;

export const chatSchema = z
  .object({
    /** The conversation so far, oldest first, ending with the user's new message. */
    messages: z
      .array(
        z.object({
          role: z.enum(["user", "assistant"]),
          content: z.string().min(1).max(20_000),
        }),
      )
      .min(1, "messages is required")
      .max(MAX_CHAT_MESSAGES, `at most ${MAX_CHAT_MESSAGES} messages`),
    /** Optional: the file the user has open, as context. */
    code: codeField.optional(),
    language: z.string().trim().min(1).max(40).optional(),
    path: z.string().trim().min(1).max(500).optional(),
    projectId: z.string().trim().min(1).max(100).optional(),
    /** A ModelOption id (GET /api/models); default: the first available. */
    model: modelChoiceField.optional(),
  })
  .refine((input) => input.messages.at(-1)?.role === "user", {
    message: "the last message must be the user's",
    path: ["messages"],
  })
  .refine((input) => input.messages.reduce((n, m) => n + Buffer.byteLength(m.content, "utf8"), 0) <= MAX_CODE_BYTES, {
    message: `the conversation must be at most ${MAX_CODE_BYTES / 1024} KB`,
    path: ["messages"],
  });

export type ChatInput = z.infer<typeof chatSchema>;

const SYSTEM = `You are AUTOCREA's coding assistant, talking with a developer about the app they are building.

Answer the question that was asked, precisely and briefly. When code helps, show it in fenced blocks with the language named, and keep to the stack and style the user is already using. If you are unsure, say what you would check rather than guessing; if the request is ambiguous, ask one short question.`;

export const chatAction: ActionDefinition<ChatInput> = {
  schema: chatSchema,
  maxOutputTokens: 2_000,
  inputChars: (input) => input.messages.reduce((n, m) => n + m.content.length, 0) + (input.code?.length ?? 0),
  buildMessages(input) {
    const context = input.code
      ? `\n\nThe user has ${input.path ? `\`${input.path}\`` : "this file"} open:\n\n${fenced(input.code, input.language ?? "")}`
      : "";
    return [{ role: "system", content: SYSTEM + context }, ...input.messages];
  },
};
