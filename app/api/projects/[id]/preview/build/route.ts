import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceIpLimit, enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { buildPreview } from "@/lib/preview/service";

export const runtime = "nodejs";
// Installs and builds the project in the sandbox before answering.
export const maxDuration = 300;

interface Context {
  params: Promise<{ id: string }>;
}

/** Runs `npm run build` in the project's sandbox session; the answer carries its output and status. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.previewBuild, user.id);
  await enforceIpLimit(request, RATE_LIMITS.previewBuildPerIp);
  const { id } = await params;
  const result = await buildPreview(user.id, id, { signal: request.signal });
  return NextResponse.json(result);
});
