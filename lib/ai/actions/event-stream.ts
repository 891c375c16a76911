import { log } from "@/lib/log";
import type { MeteredEvent } from "./metered-call";

/**
 * The wire format of POST /api/ai/{explain,fix,refactor,complete,chat}
 * once the request is accepted (errors before that are JSON with a 4xx/5xx):
 *
 *   200, Content-Type: text/event-stream, events separated by a blank line:
 *   event: text            data: {"text": "..."}                         (0..n, append in order)
 *   event: retry           data: {"message","delayMs"}                  (the same provider is tried again after delayMs;
 *                                                                          message is a sentence to show)
 *   event: attempt_failed  data: {"provider","model","error"}            (a provider failed; the next one is tried,
 *                                                                          text already sent stays sent)
 *   event: done            data: CallSummary                             (always last: {ok, error?, aborted, credits,
 *                                                                          inputTokens, outputTokens, provider, model,
 *                                                                          balance, attempts[]})
 *
 * The response header `x-credits-reserved` is the estimate held for the call
 * (unused credits are refunded before `done`). Read the body with fetch()
 * and a stream reader (EventSource cannot POST).
 */

const encoder = new TextEncoder();

export function sseEvent(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function encode(event: MeteredEvent): Uint8Array {
  switch (event.type) {
    case "text":
      return sseEvent("text", { text: event.text });
    case "retry":
      return sseEvent("retry", { message: event.message, delayMs: event.delayMs });
    case "attempt_failed":
      return sseEvent("attempt_failed", { provider: event.provider, model: event.model, error: event.error });
    case "done":
      return sseEvent("done", event.summary);
  }
}

/**
 * Streams the events; when the client goes away (request aborted or the
 * body canceled) `abort` is fired so the call stops and settles.
 */
export function sseResponse(events: AsyncGenerator<MeteredEvent>, abort: AbortController, headers: Record<string, string> = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for await (const event of events) controller.enqueue(encode(event));
        controller.close();
      } catch (err) {
        // A canceled body makes enqueue throw; leaving the loop has already settled the call.
        if (abort.signal.aborted) return;
        log.error({ err }, "AI stream failed");
        try {
          controller.enqueue(sseEvent("error", { error: "internal_error", message: "The AI call failed on our side." }));
          controller.close();
        } catch {
          // the client is gone
        }
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      ...headers,
    },
  });
}
