import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { getLivePreview, startLivePreview, stopLivePreview } from "@/lib/preview/live";
import { enforceIpLimit, enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

interface Context {
  params: Promise<{ id: string }>;
}

const NO_STORE = { headers: { "cache-control": "no-store" } };

/** The live preview's app: what runs, its state, and where the preview is. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  return NextResponse.json(await getLivePreview(user.id, id), NO_STORE);
});

/** Starts (or restarts) the app: files synced, install if the manifest changed, then the app. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.appStart, user.id);
  await enforceIpLimit(request, RATE_LIMITS.appStartPerIp);
  const { id } = await params;
  return NextResponse.json(await startLivePreview(user.id, id), { status: 202, ...NO_STORE });
});

export const DELETE = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  await stopLivePreview(user.id, id);
  return new NextResponse(null, { status: 204 });
});
