import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import { getProjectVersion, versionNumberSchema } from "@/lib/workspace/files";

interface Context {
  params: Promise<{ id: string; n: string }>;
}

/** One version with the content of every file, for the diff view. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id, n } = await params;
  await getProject(user.id, id);
  const number = versionNumberSchema.parse(n);
  const result = await getProjectVersion(user.id, id, number);
  return NextResponse.json(result, { headers: { "Cache-Control": "no-store" } });
});
