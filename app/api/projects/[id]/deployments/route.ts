import { NextResponse } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth";
import { listProjectDeployments, startDeployment, toPublicDeployment } from "@/lib/deploy/service";
import { deployProviderSummaries } from "@/lib/deploy/tokens";
import { DEPLOY_PROVIDERS } from "@/lib/deploy/types";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { oneOf } from "@/lib/http/fields";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

export const runtime = "nodejs";
// The upload, then the build followed after the response (lib/http/background.ts).
export const maxDuration = 800;

interface Context {
  params: Promise<{ id: string }>;
}

const startSchema = z.object({ provider: oneOf("provider", DEPLOY_PROVIDERS) });

/** The project's deployments (newest first) and which providers have a token. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const [deployments, providers] = await Promise.all([listProjectDeployments(user.id, id), deployProviderSummaries(user.id)]);
  return NextResponse.json({ deployments: deployments.map(toPublicDeployment), providers });
});

/** Deploys the project's current files to a provider; the status is then followed in the background. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  const { provider } = await parseJson(request, startSchema, { maxBytes: 1024 });
  await enforceUserLimit(RATE_LIMITS.deploy, user.id);
  const deployment = await startDeployment(user.id, id, provider);
  return NextResponse.json({ deployment: toPublicDeployment(deployment) }, { status: 202 });
});
