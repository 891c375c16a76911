import { NextResponse } from "next/server";
import { toPublicUser } from "@/lib/auth/public-user";
import { registerLocalAccount } from "@/lib/auth/local";
import { assertLocalAuthMode } from "@/lib/auth/local-routes";
import { parseAuthBody, registerSchema } from "@/lib/auth/schemas";
import { setSessionCookie } from "@/lib/auth/session";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceIpLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

export const POST = route(async (request) => {
  assertLocalAuthMode();
  assertSameOrigin(request);
  await enforceIpLimit(request, RATE_LIMITS.register);
  const input = await parseAuthBody(request, registerSchema);
  await enforceIpLimit(request, RATE_LIMITS.registerEmail, input.email);

  const session = await registerLocalAccount(await getStore(), input);
  const response = NextResponse.json({ user: toPublicUser(session.user) }, { status: 201, headers: { "Cache-Control": "no-store" } });
  setSessionCookie(response, session.token, session.expiresAt);
  return response;
});
