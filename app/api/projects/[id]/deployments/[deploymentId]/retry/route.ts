import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { retryDeployment, toPublicDeployment } from "@/lib/deploy/service";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

export const runtime = "nodejs";
// The upload, then the build followed after the response (lib/http/background.ts).
export const maxDuration = 800;

interface Context {
  params: Promise<{ id: string; deploymentId: string }>;
}

/** A new deployment of the current files to the same provider, after a failed or canceled one. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id, deploymentId } = await params;
  await enforceUserLimit(RATE_LIMITS.deploy, user.id);
  const deployment = await retryDeployment(user.id, id, deploymentId);
  return NextResponse.json({ deployment: toPublicDeployment(deployment) }, { status: 202 });
});
