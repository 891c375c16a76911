import { getOwnedRun } from "@/lib/ai/runs/service";
import { runEventStream } from "@/lib/ai/runs/sse";
import { requireUser } from "@/lib/auth";
import { HttpError, route } from "@/lib/http/errors";
import { getStore } from "@/lib/store";

export const runtime = "nodejs";
// A browser's EventSource reconnects (Last-Event-ID) when the platform ends the stream.
export const maxDuration = 300;
export const dynamic = "force-dynamic";

interface Context {
  params: Promise<{ runId: string }>;
}

/** Where to resume: the Last-Event-ID header (browser reconnects) or ?lastEventId= (a reload). */
function resumeAfter(request: Request): number {
  const raw = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("lastEventId") ?? "0";
  if (!/^\d{1,12}$/.test(raw.trim())) {
    throw new HttpError(400, "invalid_request", "Last-Event-ID must be a non-negative whole number.");
  }
  return Number(raw.trim());
}

/** The run's events as Server-Sent Events, replayed after Last-Event-ID, then live until the run ends. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { runId } = await params;
  const run = await getOwnedRun(user.id, runId);
  const afterSeq = resumeAfter(request);
  const stream = runEventStream({ store: await getStore(), userId: user.id, runId: run.id, afterSeq, signal: request.signal });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
});
