import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { checkUserKey } from "@/lib/ai/call";
import { assertSameOrigin } from "@/lib/http/csrf";
import { notFound, route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { isUserKeyProvider, userKeyProviders } from "@/lib/secrets/user-keys";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ provider: string }>;
}

/** Makes a tiny real call with the stored key: `{ok: true, provider, model}` or `{ok: false, …, error}` (200 either way). */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { provider } = await params;
  if (!isUserKeyProvider(provider) || !(await userKeyProviders(user.id)).includes(provider)) {
    throw notFound("API key");
  }
  await enforceUserLimit(RATE_LIMITS.keyTests, user.id);
  return NextResponse.json(await checkUserKey(user.id, provider, request.signal));
});
