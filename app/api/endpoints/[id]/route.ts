import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { removeEndpoint } from "@/lib/ai/endpoints";
import { assertSameOrigin } from "@/lib/http/csrf";
import { notFound, route } from "@/lib/http/errors";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string }>;
}

/** Deletes the endpoint with its key: `{deleted: true}`; 404 when it is not the user's. */
export const DELETE = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  if (!(await removeEndpoint(user.id, id))) throw notFound("AI endpoint");
  return NextResponse.json({ deleted: true });
});
