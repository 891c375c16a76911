import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceLimit } from "@/lib/rate-limit";
import { PREVIEW_BUILD_LIMIT } from "@/lib/sandbox/rate-limits";
import { buildPreview } from "@/lib/preview/service";

interface Context {
  params: Promise<{ id: string }>;
}

/** Runs `npm run build` in the project's sandbox session; the answer carries its output and status. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceLimit(`preview:build:${user.id}`, PREVIEW_BUILD_LIMIT, "Too many builds; wait a moment.");
  const { id } = await params;
  const result = await buildPreview(user.id, id);
  return NextResponse.json(result);
});
