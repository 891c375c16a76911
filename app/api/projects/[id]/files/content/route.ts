import { NextResponse } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { fieldError } from "@/lib/http/fields";
import { getProject } from "@/lib/projects/service";
import { readProjectFile } from "@/lib/workspace/files";

interface Context {
  params: Promise<{ id: string }>;
}

const querySchema = z.object({ path: z.string({ error: fieldError("path", "a file path") }).min(1).max(1024) });

export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  await getProject(user.id, id);
  const { path } = querySchema.parse({ path: new URL(request.url).searchParams.get("path") ?? undefined });
  const file = await readProjectFile(user.id, id, path);
  return NextResponse.json({ file }, { headers: { "Cache-Control": "no-store" } });
});
