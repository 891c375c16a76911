import { NextResponse } from "next/server";
import { authMode, requireUser, toPublicUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";

export const GET = route(async (request) => {
  const user = await requireUser(request);
  return NextResponse.json({ user: toPublicUser(user), authMode: authMode() }, { headers: { "Cache-Control": "no-store" } });
});
