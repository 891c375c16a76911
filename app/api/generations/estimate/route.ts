import { NextResponse } from "next/server";
import { z } from "zod";
import { modelChoiceField } from "@/lib/ai/model-choice";
import { estimateGeneration } from "@/lib/ai/runs/start";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { fieldError } from "@/lib/http/fields";
import { PROJECT_PROMPT_MAX } from "@/lib/projects/limits";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

export const runtime = "nodejs";

const estimateSchema = z.strictObject({
  prompt: z
    .string({ error: fieldError("prompt", "a string") })
    .trim()
    .min(1, { error: "Describe the app you want (prompt is empty)." })
    .max(PROJECT_PROMPT_MAX, { error: `prompt must be at most ${PROJECT_PROMPT_MAX} characters.` }),
  model: modelChoiceField.optional(),
});

const MAX_BODY = 64 * 1024;

/** What a run for this prompt would reserve now: `{estimate, available, model}`. Nothing is reserved. */
export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const body = await parseJson(request, estimateSchema, { maxBytes: MAX_BODY });
  await enforceUserLimit(RATE_LIMITS.estimates, user.id);
  const [{ estimate, model }, available] = await Promise.all([
    estimateGeneration(user.id, body.prompt, body.model),
    getStore().then((store) => store.getBalance(user.id)),
  ]);
  return NextResponse.json({ estimate, available, model });
});
