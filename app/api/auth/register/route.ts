import { NextResponse } from "next/server";
import { registerTakenLimits } from "@/lib/auth/limits";
import { toPublicUser } from "@/lib/auth/public-user";
import { registerLocalAccount, type IssuedSession } from "@/lib/auth/local";
import { assertLocalAuthMode } from "@/lib/auth/local-routes";
import { parseAuthBody, registerSchema } from "@/lib/auth/schemas";
import { setSessionCookie } from "@/lib/auth/session";
import { clientAddressKey } from "@/lib/http/client-ip";
import { assertSameOrigin } from "@/lib/http/csrf";
import { HttpError, route } from "@/lib/http/errors";
import { enforceIpLimit, RATE_LIMITS, reserveLimits } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

export const POST = route(async (request) => {
  assertLocalAuthMode();
  assertSameOrigin(request);
  await enforceIpLimit(request, RATE_LIMITS.register);
  const input = await parseAuthBody(request, registerSchema);
  await enforceIpLimit(request, RATE_LIMITS.registerEmail, input.email);

  // Counted up front, kept only when the answer is "already has an account" (lib/auth/limits.ts).
  const taken = await reserveLimits(registerTakenLimits(clientAddressKey(request)));
  let session: IssuedSession;
  try {
    session = await registerLocalAccount(await getStore(), input);
  } catch (err) {
    if (!(err instanceof HttpError && err.status === 409)) await taken.release();
    throw err;
  }
  await taken.release();

  const response = NextResponse.json({ user: toPublicUser(session.user) }, { status: 201, headers: { "Cache-Control": "no-store" } });
  setSessionCookie(response, session.token, session.expiresAt);
  return response;
});
