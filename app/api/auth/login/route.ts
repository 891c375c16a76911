import { NextResponse } from "next/server";
import { loginLocalAccount, type IssuedSession } from "@/lib/auth/local";
import { loginFailureLimits } from "@/lib/auth/limits";
import { assertLocalAuthMode } from "@/lib/auth/local-routes";
import { toPublicUser } from "@/lib/auth/public-user";
import { loginSchema, parseAuthBody } from "@/lib/auth/schemas";
import { setSessionCookie } from "@/lib/auth/session";
import { clientAddressKey } from "@/lib/http/client-ip";
import { assertSameOrigin } from "@/lib/http/csrf";
import { HttpError, route } from "@/lib/http/errors";
import { reserveLimits } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

export const POST = route(async (request) => {
  assertLocalAuthMode();
  assertSameOrigin(request);
  const address = clientAddressKey(request);
  const input = await parseAuthBody(request, loginSchema);

  // Counted up front (so parallel guesses count while in flight), kept only if the password is wrong.
  const attempt = await reserveLimits(loginFailureLimits(input.email, address));
  let session: IssuedSession;
  try {
    session = await loginLocalAccount(await getStore(), input);
  } catch (err) {
    if (!(err instanceof HttpError && err.code === "invalid_credentials")) await attempt.release();
    throw err;
  }
  await attempt.release();

  const response = NextResponse.json({ user: toPublicUser(session.user) }, { headers: { "Cache-Control": "no-store" } });
  setSessionCookie(response, session.token, session.expiresAt);
  return response;
});
