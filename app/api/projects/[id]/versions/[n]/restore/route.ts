import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import { restoreProjectVersion, summarizeVersion, versionNumberSchema } from "@/lib/workspace/files";

interface Context {
  params: Promise<{ id: string; n: string }>;
}

/** Makes the files equal to version n, recorded as a new version. */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id, n } = await params;
  await getProject(user.id, id);
  const number = versionNumberSchema.parse(n);
  const version = await restoreProjectVersion(user.id, id, number);
  return NextResponse.json({ version: summarizeVersion(version) }, { status: 201 });
});
