import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { cancelDeployment, toPublicDeployment } from "@/lib/deploy/service";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string; deploymentId: string }>;
}

/** Cancels a running deployment at the provider; 409 when it has already finished. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id, deploymentId } = await params;
  return NextResponse.json({ deployment: toPublicDeployment(await cancelDeployment(user.id, id, deploymentId)) });
});
