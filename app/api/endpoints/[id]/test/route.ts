import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { testEndpoint, testEndpointSchema } from "@/lib/ai/endpoints";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string }>;
}

/** A small real completion with one of the endpoint's models `{model}`: `{ok: true, model, sample}`; a failure is 502 with a sentence. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.endpointTests, user.id);
  const { id } = await params;
  const { model } = await parseJson(request, testEndpointSchema, { maxBytes: 4 * 1024 });
  return NextResponse.json(await testEndpoint(user.id, id, model));
});
