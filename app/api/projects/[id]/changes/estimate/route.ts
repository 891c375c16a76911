import { NextResponse } from "next/server";
import { z } from "zod";
import { modelChoiceField } from "@/lib/ai/model-choice";
import { estimateChange } from "@/lib/ai/changes/start";
import { changeRequestText } from "@/lib/ai/changes/schema";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string }>;
}

const estimateSchema = z.strictObject({
  request: changeRequestText,
  model: modelChoiceField.optional(),
});

const MAX_BODY = 64 * 1024;
/** Forms ask as the user types (debounced), like the generation estimate; the same budget. */

/** What a change request would reserve now and which files it would read: `{estimate, available, model, files}`. Nothing is reserved. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  const body = await parseJson(request, estimateSchema, { maxBytes: MAX_BODY });
  await enforceUserLimit(RATE_LIMITS.estimates, user.id);
  const [estimate, available] = await Promise.all([
    estimateChange(user.id, id, body.request, body.model),
    getStore().then((store) => store.getBalance(user.id)),
  ]);
  return NextResponse.json({ ...estimate, available });
});
