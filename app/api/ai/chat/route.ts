import { actionRoute } from "@/lib/ai/actions/handler";
import { chatAction } from "@/lib/ai/actions/prompts/chat";

export const runtime = "nodejs";

/** Streams the answer as SSE; lib/ai/actions/event-stream.ts documents the format. */
export const POST = actionRoute("chat", chatAction);
