import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { pushBodySchema, pushProject } from "@/lib/git/push-project";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

export const runtime = "nodejs";
// A push to the remote waits for it.
export const maxDuration = 300;

interface Context {
  params: Promise<{ id: string }>;
}

/** Pushes the project's history to `refs/heads/<branch>` of a GitHub/GitLab remote with the user's stored token. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  await enforceUserLimit(RATE_LIMITS.gitPush, user.id);
  const body = await parseJson(request, pushBodySchema, { maxBytes: 8 * 1024 });
  return NextResponse.json(await pushProject(user.id, id, body));
});
