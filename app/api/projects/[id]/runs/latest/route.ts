import { NextResponse } from "next/server";
import { getLatestRun } from "@/lib/ai/runs/latest";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string }>;
}

/** The project's newest generation run (running or finished), or null when it has none. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  return NextResponse.json({ run: await getLatestRun(user.id, id) }, { headers: { "cache-control": "no-store" } });
});
