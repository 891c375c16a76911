import { z } from "zod";
import { normalizeProjectPath } from "@/lib/files/paths";
import type { ChatMessage } from "./types";

/**
 * The architect's plan (docs/architecture.md#a-generation-run): a JSON object, validated here, that the
 * other roles build from. Models are not perfectly consistent about shapes, so
 * a few harmless variations are accepted (a stack as a list or a map, a data
 * model as prose or entities); anything else is a validation error that goes
 * back to the model once.
 */

const text = (max: number) => z.string().trim().min(1).max(max);

const projectPath = z.string().transform((value, ctx) => {
  try {
    return normalizeProjectPath(value);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: e instanceof Error ? e.message : "invalid path" });
    return z.NEVER;
  }
});

const entity = z.looseObject({
  name: text(200),
  fields: z
    .union([z.array(z.union([z.string(), z.looseObject({ name: z.string() })])), z.record(z.string(), z.unknown())])
    .optional(),
});

const component = z.union([
  text(200),
  z.looseObject({ name: text(200), purpose: z.string().max(2000).optional(), description: z.string().max(2000).optional() }),
]);

export const planSchema = z.object({
  name: text(200),
  summary: text(4000),
  stack: z.union([text(500), z.array(text(200)).min(1), z.record(z.string(), z.string())]),
  files: z
    .array(
      z.object({
        path: projectPath,
        purpose: z.string().trim().max(2000).default(""),
        /** Who writes the file; optional, roles fall back to judging by purpose. */
        role: z.enum(["backend", "frontend", "devops"]).optional().catch(undefined),
      }),
    )
    .min(1, "the plan must list at least one file")
    .max(200),
  dataModel: z.union([z.string().max(20_000), z.array(entity).max(100), z.record(z.string(), z.unknown())]).default([]),
  api: z
    .array(
      z.object({
        method: z
          .string()
          .trim()
          .toUpperCase()
          .pipe(z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "WS"])),
        path: text(500),
        description: z.string().trim().max(2000).default(""),
      }),
    )
    .max(200)
    .default([]),
  components: z.array(component).max(200).default([]),
});

export type Plan = z.infer<typeof planSchema>;

export type PlanParseResult = { ok: true; plan: Plan } | { ok: false; error: string };

/** The JSON text of an answer: a ```json fence if there is one, else from the first "{" to the last "}" (or the end, when cut short). */
export function extractJson(answer: string): string | null {
  const fenced = answer.match(/```(?:json|JSON)?[^\S\n]*\n([\s\S]*?)```/);
  if (fenced) return fenced[1].trim();
  const start = answer.indexOf("{");
  if (start < 0) return null;
  const end = answer.lastIndexOf("}");
  return end > start ? answer.slice(start, end + 1) : answer.slice(start);
}

export function parsePlan(answer: string): PlanParseResult {
  const json = extractJson(answer);
  if (json === null) return { ok: false, error: "The answer contains no JSON object." };
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    return { ok: false, error: `The JSON does not parse: ${e instanceof Error ? e.message : String(e)}` };
  }
  const result = planSchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 10)
      .map((i) => `- ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
    return { ok: false, error: `The plan does not match the schema:\n${issues.join("\n")}` };
  }
  return { ok: true, plan: result.data };
}

/** What the architect is told when its plan was not valid; it gets one more try. */
export function repairRequest(error: string): string {
  return [
    "Your plan could not be used.",
    error,
    "Answer again with only the corrected plan: one JSON object, no prose and no code fence.",
  ].join("\n\n");
}

export type AskModel = (messages: ChatMessage[]) => Promise<string>;

export type ObtainPlanResult =
  | { ok: true; plan: Plan; attempts: number }
  | { ok: false; error: string; attempts: number };

/**
 * Asks for the plan and, when the answer is not a valid plan, asks ONCE more
 * with the validation error appended to the conversation.
 */
export async function obtainPlan(ask: AskModel, messages: ChatMessage[]): Promise<ObtainPlanResult> {
  const first = await ask(messages);
  const parsed = parsePlan(first);
  if (parsed.ok) return { ok: true, plan: parsed.plan, attempts: 1 };

  const second = await ask([
    ...messages,
    { role: "assistant", content: first },
    { role: "user", content: repairRequest(parsed.error) },
  ]);
  const repaired = parsePlan(second);
  if (repaired.ok) return { ok: true, plan: repaired.plan, attempts: 2 };
  return { ok: false, error: repaired.error, attempts: 2 };
}

/** The plan as the other roles read it. */
export function describePlan(plan: Plan): string {
  return JSON.stringify(plan, null, 2);
}

/** Only the API contract, for roles that must agree on it (backend and frontend). */
export function describeApiContract(plan: Plan): string {
  if (plan.api.length === 0) return "(the plan defines no HTTP API)";
  return plan.api.map((a) => `${a.method} ${a.path}${a.description ? ` — ${a.description}` : ""}`).join("\n");
}
