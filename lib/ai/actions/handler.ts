import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import { enforceIpLimit, enforceLimit } from "@/lib/rate-limit";
import type { AiRequestKind } from "@/lib/store";
import { sseResponse } from "./event-stream";
import { meteredCompletion, prepareCall } from "./metered-call";
import { MAX_ACTION_BODY_BYTES, type ActionDefinition } from "./prompts/shared";

/** Per user, across all single-shot AI actions. */
export const AI_RATE_LIMIT = { max: 30, windowMs: 60_000 };
/** Per client IP, so many accounts behind one address cannot multiply the per-user limit. */
export const AI_RATE_LIMIT_PER_IP = { max: 60, windowMs: 60_000 };

interface ActionFields {
  projectId?: string;
  model?: string;
}

/**
 * The POST handler of one single-shot action: authenticate, rate-limit,
 * validate, check the project, reserve credits (402/503 before anything
 * starts), then stream the metered call as SSE (see ./event-stream.ts).
 */
export function actionRoute<T extends ActionFields>(kind: AiRequestKind, action: ActionDefinition<T>) {
  return route(async (request: Request) => {
    const user = await requireUser(request);
    assertSameOrigin(request);
    await enforceLimit(`ai:${user.id}`, AI_RATE_LIMIT, "Too many AI requests.");
    await enforceIpLimit(request, "ai", AI_RATE_LIMIT_PER_IP, "Too many AI requests from your network.");
    const input = await parseJson(request, action.schema, { maxBytes: MAX_ACTION_BODY_BYTES });
    if (input.projectId !== undefined) await getProject(user.id, input.projectId);

    const call = await prepareCall({
      userId: user.id,
      kind,
      inputChars: action.inputChars(input),
      maxOutputTokens: action.maxOutputTokens,
      preferredModel: input.model,
    });

    const abort = new AbortController();
    request.signal.addEventListener("abort", () => abort.abort(), { once: true });
    const events = meteredCompletion(call, {
      messages: action.buildMessages(input),
      projectId: input.projectId ?? null,
      signal: abort.signal,
    });
    return sseResponse(events, abort, { "x-credits-reserved": String(call.hold.amount) });
  });
}
