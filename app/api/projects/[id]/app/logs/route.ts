import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { liveLogs } from "@/lib/preview/live";

interface Context {
  params: Promise<{ id: string }>;
}

/** The app's log (install and server output) after byte `since`; `next` is the next `since`. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const since = Number(new URL(request.url).searchParams.get("since") ?? 0);
  const chunk = await liveLogs(user.id, id, Number.isSafeInteger(since) && since > 0 ? since : 0);
  return NextResponse.json(chunk, { headers: { "cache-control": "no-store" } });
});
