import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { parseJson, route } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import { listProjectFiles, saveFilesBodySchema, saveProjectFiles, summarizeVersion } from "@/lib/workspace/files";

interface Context {
  params: Promise<{ id: string }>;
}

// Room for a full save of large files, JSON-escaped.
const MAX_SAVE_BODY = 16 * 1024 * 1024;

export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const result = await listProjectFiles(user.id, id);
  return NextResponse.json(result, { headers: { "Cache-Control": "no-store" } });
});

/** Save = one new version: writes, deletes and renames applied together. */
export const PUT = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  await getProject(user.id, id);
  const body = await parseJson(request, saveFilesBodySchema, { maxBytes: MAX_SAVE_BODY });
  const version = await saveProjectFiles(user.id, id, body);
  return NextResponse.json({ version: summarizeVersion(version) });
});
