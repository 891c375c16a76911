import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { syncAfterSave } from "@/lib/preview/live";

interface Context {
  params: Promise<{ id: string }>;
}

/**
 * Writes the project's saved changes into its runner session (after a save,
 * restore or run); a running live preview reloads or restarts. Without a
 * session there is nothing to update: the next terminal, build or app start
 * writes the files anyway.
 */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.terminalSync, user.id);
  const { id } = await params;
  return NextResponse.json(await syncAfterSave(user.id, id));
});
