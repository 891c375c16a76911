import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { refreshEndpointModels } from "@/lib/ai/endpoints";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string }>;
}

/** Lists the endpoint's models again and keeps them: `{endpoint}`. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.endpoints, user.id);
  const { id } = await params;
  return NextResponse.json({ endpoint: await refreshEndpointModels(user.id, id) });
});
