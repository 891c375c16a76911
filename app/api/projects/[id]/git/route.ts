import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { projectGitLog } from "@/lib/git/log";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string }>;
}

/** The project's history as Git commits on `main`, newest first. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  return NextResponse.json(await projectGitLog(user.id, id), { headers: { "Cache-Control": "no-store" } });
});
