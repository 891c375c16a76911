import { z } from "zod";
import { fieldError } from "@/lib/http/fields";
import {
  PROJECT_DESCRIPTION_MAX,
  PROJECT_FRAMEWORK_MAX,
  PROJECT_MODEL_MAX,
  PROJECT_NAME_MAX,
  PROJECT_PROMPT_MAX,
} from "./limits";

/** Input rules for projects (API routes); limits live in ./limits. */

const NAME_PATTERN = /^[\p{L}\p{N} ._-]+$/u;
// C0 and C1 controls, DEL, and the invisible formatting characters (bidirectional overrides, zero-width…).
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * A project's name: shown everywhere, and the folder of its ZIP and the name of its deployments, so
 * it must read as a name: "..", "." or "- _" (no letter or digit) and invisible characters are refused.
 */
export const projectNameSchema = z
  .string({ error: fieldError("Name", "a string") })
  .trim()
  .min(1, { error: "Name is required." })
  .max(PROJECT_NAME_MAX, { error: `Name must be at most ${PROJECT_NAME_MAX} characters.` })
  .refine((name) => !CONTROL_OR_FORMAT.test(name), {
    error: "Name must not contain control or invisible formatting characters.",
    abort: true,
  })
  .refine((name) => LETTER_OR_DIGIT.test(name), {
    error: "Name must contain at least one letter or digit (a name like \"..\" is not allowed).",
    abort: true,
  })
  .regex(NAME_PATTERN, { error: "Name may contain letters, digits, spaces, '-', '_' and '.' only." });

const boundedText = (field: string, max: number) =>
  z
    .string({ error: fieldError(field, "a string") })
    .trim()
    .max(max, { error: `${field} must be at most ${max} characters.` });

/**
 * The model remembered for the project: the id of a ModelOption (GET /api/models), opaque here;
 * null forgets it (the default model is used). Whether the user may use it is decided when a run starts.
 */
const projectModel = z
  .string({ error: fieldError("model", "a model id (a string) or null") })
  .min(1)
  .max(PROJECT_MODEL_MAX)
  .nullable();

export const createProjectSchema = z.strictObject({
  name: projectNameSchema,
  description: boundedText("Description", PROJECT_DESCRIPTION_MAX).optional(),
  prompt: boundedText("Prompt", PROJECT_PROMPT_MAX).optional(),
  framework: boundedText("Framework", PROJECT_FRAMEWORK_MAX).optional(),
  model: projectModel.optional(),
});

export const updateProjectSchema = z
  .strictObject({
    name: projectNameSchema.optional(),
    description: boundedText("Description", PROJECT_DESCRIPTION_MAX).optional(),
    model: projectModel.optional(),
  })
  .refine((patch) => patch.name !== undefined || patch.description !== undefined || patch.model !== undefined, {
    error: "Send at least one of: name, description, model.",
  });

export type CreateProjectBody = z.infer<typeof createProjectSchema>;
export type UpdateProjectBody = z.infer<typeof updateProjectSchema>;

/**
 * Project ids are opaque (UUIDs in SQLite, Convex ids), but never contain
 * anything outside this set; anything else cannot name a project and is a 404.
 */
const PROJECT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isPlausibleProjectId(id: string): boolean {
  return PROJECT_ID_PATTERN.test(id);
}
