import { NextResponse } from "next/server";
import type Stripe from "stripe";
import { readBoundedText } from "@/lib/http/bounded-body";
import { errorResponse } from "@/lib/http/errors";
import type { Store } from "@/lib/store/types";
import { handleStripeEvent, type EventOutcome } from "./events";
import { stripeWebhooks } from "./stripe";

/** Stripe's events are a few KB; anything near this is not from Stripe. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** Signatures older than this are refused (replays). */
export const SIGNATURE_TOLERANCE_SEC = 300;

export interface StripeWebhookOptions {
  /** STRIPE_WEBHOOK_SECRET; undefined → 503 payments_disabled. */
  secret: string | undefined;
}

/**
 * The whole webhook: bounded raw body → signature check (before any parsing)
 * → the event's effects, recorded once. Takes the Store so the same path runs
 * over SQLite (the route) and Convex (tests).
 */
export async function processStripeWebhook(store: Store, request: Request, { secret }: StripeWebhookOptions): Promise<Response> {
  if (!secret) {
    return errorResponse(503, "payments_disabled", "Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET is not set).");
  }
  const raw = await readBoundedText(request, MAX_WEBHOOK_BYTES);
  if (raw === undefined) {
    return errorResponse(413, "payload_too_large", `Webhook bodies larger than ${MAX_WEBHOOK_BYTES} bytes are refused.`);
  }
  const signature = request.headers.get("stripe-signature");
  if (!signature) return errorResponse(400, "invalid_signature", "The Stripe-Signature header is missing.");

  let event: Stripe.Event;
  try {
    event = stripeWebhooks.constructEvent(raw, signature, secret, SIGNATURE_TOLERANCE_SEC);
  } catch (err) {
    const detail = err instanceof Error ? err.message : "verification failed";
    return errorResponse(400, "invalid_signature", `The webhook signature did not verify: ${detail}`);
  }

  const outcome = await handleStripeEvent(store, event);
  switch (outcome.kind) {
    case "ignored":
      return NextResponse.json({ received: true, ignored: true, type: event.type });
    case "duplicate":
      return NextResponse.json({ received: true, duplicate: true, type: event.type });
    case "recorded":
      return NextResponse.json({ received: true, applied: false, reason: outcome.reason, type: event.type });
    case "applied":
      return NextResponse.json({ received: true, ...appliedAnswer(outcome), type: event.type });
  }
}

/**
 * What the store really applied, not what the event asked for: `credited` is
 * 0 when the grant's idempotency key had already been used (the same session
 * or invoice reached us in another event); `subscription` is the change the
 * subscription rule made, or none. `applied` is false when nothing changed,
 * with the reason.
 */
function appliedAnswer({ effects, result }: Extract<EventOutcome, { kind: "applied" }>) {
  const credited = result.granted;
  const change = result.subscription;
  const subscription =
    change === null
      ? undefined
      : change.kind === "current"
        ? { change: "current" as const, status: change.subscription.status, plan: change.plan }
        : change.kind === "ended"
          ? { change: "ended" as const }
          : { change: "none" as const, reason: change.reason };
  const applied = credited > 0 || (change !== null && change.kind !== "unchanged");
  const reason = applied
    ? undefined
    : change?.kind === "unchanged"
      ? change.reason
      : effects.grant
        ? "already_credited"
        : "nothing_to_change";
  return {
    applied,
    ...(reason ? { reason } : {}),
    credited,
    ...(subscription ? { subscription } : {}),
    ...(change?.kind === "current" ? { subscriptionStatus: change.subscription.status } : {}),
  };
}
