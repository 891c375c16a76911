import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { getPreviewStatus } from "@/lib/preview/service";

interface Context {
  params: Promise<{ id: string }>;
}

/** What the preview panel can show: static files, a build's output, or why there is nothing. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const status = await getPreviewStatus(user.id, id);
  return NextResponse.json(status, { headers: { "cache-control": "no-store" } });
});
