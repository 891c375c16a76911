import { NextResponse } from "next/server";
import { loginLocalAccount } from "@/lib/auth/local";
import { LOGIN_PER_EMAIL, LOGIN_PER_IP } from "@/lib/auth/limits";
import { assertLocalAuthMode } from "@/lib/auth/local-routes";
import { toPublicUser } from "@/lib/auth/public-user";
import { loginSchema, parseAuthBody } from "@/lib/auth/schemas";
import { setSessionCookie } from "@/lib/auth/session";
import { clientIp } from "@/lib/http/client-ip";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceLimit } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

export const POST = route(async (request) => {
  assertLocalAuthMode();
  assertSameOrigin(request);
  await enforceLimit(`login:ip:${clientIp(request)}`, LOGIN_PER_IP, "Too many sign-in attempts.");
  const input = await parseAuthBody(request, loginSchema);
  await enforceLimit(`login:email:${input.email}`, LOGIN_PER_EMAIL, "Too many sign-in attempts for this account.");

  const session = await loginLocalAccount(await getStore(), input);
  const response = NextResponse.json({ user: toPublicUser(session.user) }, { headers: { "Cache-Control": "no-store" } });
  setSessionCookie(response, session.token, session.expiresAt);
  return response;
});
