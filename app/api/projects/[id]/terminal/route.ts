import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceIpLimit, enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { getProject } from "@/lib/projects/service";
import { syncProjectFiles, withProjectSession } from "@/lib/sandbox/project-sessions";

interface Context {
  params: Promise<{ id: string }>;
}

/**
 * Opens (or reopens) the project's terminal: ensures its runner session,
 * writes the project's current files into it, and returns a single-use
 * WebSocket ticket for this user and that session only.
 */
export const POST = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.terminalOpen, user.id);
  await enforceIpLimit(request, RATE_LIMITS.terminalOpenPerIp);
  const { id } = await params;
  const project = await getProject(user.id, id);
  const ticket = await withProjectSession(user.id, project.id, async (session, client) => {
    await syncProjectFiles(session, client, user.id, project.id);
    return client.issuePtyTicket(session.sessionId, user.id);
  });
  return NextResponse.json(
    { wsUrl: ticket.url, ticket: ticket.ticket, expiresAt: ticket.expiresAt },
    { headers: { "cache-control": "no-store" } },
  );
});
