import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import { enforceIpLimit, enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import type { AiRequestKind } from "@/lib/store";
import { sseResponse } from "./event-stream";
import { meteredCompletion, prepareCall } from "./metered-call";
import { MAX_ACTION_BODY_BYTES, type ActionDefinition } from "./prompts/shared";

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
    await enforceUserLimit(RATE_LIMITS.ai, user.id);
    await enforceIpLimit(request, RATE_LIMITS.aiPerIp);
    const input = await parseJson(request, action.schema, { maxBytes: MAX_ACTION_BODY_BYTES });
    if (input.projectId !== undefined) await getProject(user.id, input.projectId);

    const call = await prepareCall({
      userId: user.id,
      kind,
      inputChars: action.inputChars(input),
      maxOutputTokens: action.maxOutputTokens,
      model: input.model,
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
