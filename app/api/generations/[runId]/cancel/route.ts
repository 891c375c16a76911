import { NextResponse } from "next/server";
import { cancelRun } from "@/lib/ai/runs/service";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ runId: string }>;
}

/** Cancels the run; answers once it has stopped and its reservation is settled. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { runId } = await params;
  return NextResponse.json({ run: await cancelRun(user.id, runId) });
});
