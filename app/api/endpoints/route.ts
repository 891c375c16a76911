import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { addEndpoint, addEndpointSchema, listEndpoints } from "@/lib/ai/endpoints";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

export const runtime = "nodejs";

/** The user's AI endpoints: name, base URL, models, last 4 characters of the key. Never the key. */
export const GET = route(async (request) => {
  const user = await requireUser(request);
  return NextResponse.json({ endpoints: await listEndpoints(user.id) });
});

/** Adds an endpoint `{name, baseUrl, apiKey?, models?}` after listing its models: 201 `{endpoint}`. */
export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.endpoints, user.id);
  const input = await parseJson(request, addEndpointSchema, { maxBytes: 64 * 1024 });
  const endpoint = await addEndpoint(user.id, input);
  return NextResponse.json({ endpoint }, { status: 201 });
});
