import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceLimit } from "@/lib/rate-limit";
import { TERMINAL_SYNC_LIMIT } from "@/lib/sandbox/rate-limits";
import { getProject } from "@/lib/projects/service";
import { peekProjectSession, syncProjectFiles, withProjectSession } from "@/lib/sandbox/project-sessions";

interface Context {
  params: Promise<{ id: string }>;
}

/**
 * Re-writes the project's saved files into its runner session (after a save,
 * restore or run). Without a session there is nothing to update: the next
 * terminal or build writes the files anyway.
 */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceLimit(`terminal:sync:${user.id}`, TERMINAL_SYNC_LIMIT, "Too many file syncs; wait a moment.");
  const { id } = await params;
  const project = await getProject(user.id, id);
  if (!peekProjectSession(user.id, project.id)) return NextResponse.json({ synced: false, written: 0, deleted: 0 });
  const result = await withProjectSession(user.id, project.id, (session, client) =>
    syncProjectFiles(session, client, user.id, project.id),
  );
  return NextResponse.json({ synced: true, ...result });
});
