import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { createPortalSession } from "@/lib/billing/checkout";
import { stripeClient } from "@/lib/billing/stripe";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceLimit } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

const PORTAL_SESSIONS_PER_MINUTE = { max: 10, windowMs: 60_000 };

export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  stripeClient(); // 503 payments_disabled when Stripe is not configured
  await enforceLimit(`billing:portal:${user.id}`, PORTAL_SESSIONS_PER_MINUTE, "Too many attempts.");
  return NextResponse.json(await createPortalSession(await getStore(), user));
});
