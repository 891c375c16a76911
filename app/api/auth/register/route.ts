import { NextResponse } from "next/server";
import { toPublicUser } from "@/lib/auth/public-user";
import { registerLocalAccount } from "@/lib/auth/local";
import { REGISTER_PER_EMAIL_PER_IP, REGISTER_PER_IP } from "@/lib/auth/limits";
import { assertLocalAuthMode } from "@/lib/auth/local-routes";
import { parseAuthBody, registerSchema } from "@/lib/auth/schemas";
import { setSessionCookie } from "@/lib/auth/session";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceIpLimit } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

export const POST = route(async (request) => {
  assertLocalAuthMode();
  assertSameOrigin(request);
  await enforceIpLimit(request, "register", REGISTER_PER_IP, "Too many sign-up attempts.");
  const input = await parseAuthBody(request, registerSchema);
  await enforceIpLimit(request, `register:email:${input.email}`, REGISTER_PER_EMAIL_PER_IP, "Too many sign-up attempts.");

  const session = await registerLocalAccount(await getStore(), input);
  const response = NextResponse.json({ user: toPublicUser(session.user) }, { status: 201, headers: { "Cache-Control": "no-store" } });
  setSessionCookie(response, session.token, session.expiresAt);
  return response;
});
