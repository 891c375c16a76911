import { NextResponse } from "next/server";
import { z } from "zod";
import { modelChoiceField } from "@/lib/ai/model-choice";
import { startGeneration } from "@/lib/ai/runs/start";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { fieldError, positiveWholeNumber } from "@/lib/http/fields";
import { PROJECT_PROMPT_MAX } from "@/lib/projects/limits";
import { enforceRunStartLimits } from "@/lib/ai/runs/start-limits";

export const runtime = "nodejs";
// The run goes on after the response (lib/http/background.ts) for as long as the platform allows: README, "Deploying on Vercel".
export const maxDuration = 800;

const startSchema = z.strictObject({
  projectId: z.string({ error: fieldError("projectId", "a project id") }).min(1).max(64),
  prompt: z
    .string({ error: fieldError("prompt", "a string") })
    .trim()
    .min(1, { error: "Describe the app you want (prompt is empty)." })
    .max(PROJECT_PROMPT_MAX, { error: `prompt must be at most ${PROJECT_PROMPT_MAX} characters.` }),
  cap: positiveWholeNumber("cap", "credits").optional(),
  model: modelChoiceField.optional(),
});

const MAX_BODY = 64 * 1024;

/** Starts a generation run: 202 {runId, estimate, reserved}; 402 {required, available} when credits are short. */
export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const body = await parseJson(request, startSchema, { maxBytes: MAX_BODY });
  await enforceRunStartLimits(request, user.id);
  const started = await startGeneration(user.id, body);
  return NextResponse.json(started, { status: 202 });
});
