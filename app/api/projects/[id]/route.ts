import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { deleteProject } from "@/lib/projects/delete";
import { updateProjectSchema } from "@/lib/projects/schema";
import { getProject, updateProject } from "@/lib/projects/service";

interface Context {
  params: Promise<{ id: string }>;
}

const MAX_PATCH_BODY = 16 * 1024;

export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const project = await getProject(user.id, id);
  return NextResponse.json({ project });
});

export const PATCH = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  // Ownership before body validation: someone else's project is a 404 whatever they send.
  await getProject(user.id, id);
  const patch = await parseJson(request, updateProjectSchema, { maxBytes: MAX_PATCH_BODY });
  const project = await updateProject(user.id, id, patch);
  return NextResponse.json({ project });
});

/**
 * Deletes the project for good: 200 {deleted: {id, name}}. Runs in progress are canceled first
 * (409 run_in_progress if one starts meanwhile); its deployments stay in the user's records.
 */
export const DELETE = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const { id } = await params;
  const deleted = await deleteProject(user.id, id);
  return NextResponse.json({ deleted });
});
