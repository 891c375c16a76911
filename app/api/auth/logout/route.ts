import { NextResponse } from "next/server";
import { endLocalSession } from "@/lib/auth/local";
import { clearSessionCookie, readCookie, SESSION_COOKIE } from "@/lib/auth/session";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { getStore } from "@/lib/store";

export const POST = route(async (request) => {
  assertSameOrigin(request);
  const token = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
  if (token) await endLocalSession(await getStore(), token);
  const response = NextResponse.json({ ok: true }, { headers: { "Cache-Control": "no-store" } });
  clearSessionCookie(response);
  return response;
});
