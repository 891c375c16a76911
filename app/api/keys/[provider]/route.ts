import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { notFound, route } from "@/lib/http/errors";
import { deleteUserKey } from "@/lib/secrets/user-keys";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ provider: string }>;
}

export const DELETE = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { provider } = await params;
  if (!(await deleteUserKey(user.id, provider))) throw notFound("API key");
  return NextResponse.json({ deleted: true, provider });
});
