import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { listProjectVersions } from "@/lib/workspace/files";

interface Context {
  params: Promise<{ id: string }>;
}

/** Newest first. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const versions = await listProjectVersions(user.id, id);
  return NextResponse.json({ versions }, { headers: { "Cache-Control": "no-store" } });
});
