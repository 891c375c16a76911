import { actionRoute } from "@/lib/ai/actions/handler";
import { refactorAction } from "@/lib/ai/actions/prompts/refactor";

export const runtime = "nodejs";
// One streamed model answer.
export const maxDuration = 300;

/** Streams the answer as SSE; lib/ai/actions/event-stream.ts documents the format. */
export const POST = actionRoute("refactor", refactorAction);
