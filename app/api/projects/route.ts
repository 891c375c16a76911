import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { createProjectSchema } from "@/lib/projects/schema";
import { createProject, listProjects } from "@/lib/projects/service";

const MAX_CREATE_BODY = 64 * 1024;

export const GET = route(async (request) => {
  const user = await requireUser(request);
  const projects = await listProjects(user.id);
  return NextResponse.json({ projects });
});

export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  const body = await parseJson(request, createProjectSchema, { maxBytes: MAX_CREATE_BODY });
  const project = await createProject(user.id, body);
  return NextResponse.json({ project }, { status: 201 });
});
