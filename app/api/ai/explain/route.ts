import { explainAction } from "@/lib/ai/actions/prompts/explain";
import { actionRoute } from "../_lib/action-route";

export const runtime = "nodejs";

/** Streams the answer as SSE; app/api/ai/_lib/sse.ts documents the format. */
export const POST = actionRoute("explain", explainAction);
