import { z } from "zod";
import { fieldError } from "@/lib/http/fields";
import { PROJECT_PROMPT_MAX } from "@/lib/projects/limits";

/** The text of a change request, as the change and estimate routes accept it. */
export const changeRequestText = z
  .string({ error: fieldError("request", "a string") })
  .trim()
  .min(1, { error: "Say what to change (request is empty)." })
  .max(PROJECT_PROMPT_MAX, { error: `request must be at most ${PROJECT_PROMPT_MAX} characters.` });
