import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { getDeployment, toPublicDeployment } from "@/lib/deploy/service";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string; deploymentId: string }>;
}

export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id, deploymentId } = await params;
  return NextResponse.json({ deployment: toPublicDeployment(await getDeployment(user.id, id, deploymentId)) });
});
