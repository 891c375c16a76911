import { NextResponse } from "next/server";
import { getRunWithSteps } from "@/lib/ai/runs/service";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ runId: string }>;
}

/** The run's status and its steps. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { runId } = await params;
  return NextResponse.json(await getRunWithSteps(user.id, runId));
});
