import { NextResponse } from "next/server";
import { z } from "zod";
import { modelChoiceField } from "@/lib/ai/model-choice";
import { listChanges } from "@/lib/ai/changes/history";
import { startChange } from "@/lib/ai/changes/start";
import { changeRequestText } from "@/lib/ai/changes/schema";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { positiveWholeNumber } from "@/lib/http/fields";
import { getProject } from "@/lib/projects/service";
import { getStore } from "@/lib/store";
import { enforceRunStartLimits } from "@/lib/ai/runs/start-limits";

export const runtime = "nodejs";
// The change goes on after the response (lib/http/background.ts): README, "Deploying on Vercel".
export const maxDuration = 800;

interface Context {
  params: Promise<{ id: string }>;
}

const changeSchema = z.strictObject({
  request: changeRequestText,
  cap: positiveWholeNumber("cap", "credits").optional(),
  model: modelChoiceField.optional(),
});

const MAX_BODY = 64 * 1024;

/** Starts a change request on the project: 202 {runId, estimate, reserved}; follow it like a run (GET /api/generations/:runId/events). */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  const body = await parseJson(request, changeSchema, { maxBytes: MAX_BODY });
  await enforceRunStartLimits(request, user.id);
  const started = await startChange(user.id, { projectId: id, request: body.request, cap: body.cap, model: body.model });
  return NextResponse.json(started, { status: 202 });
});

/** The project's change requests as the chat shows them, oldest first: ChangeList (lib/workspace/change-summary.ts). */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const project = await getProject(user.id, id);
  return NextResponse.json(await listChanges(await getStore(), user.id, project.id));
});
