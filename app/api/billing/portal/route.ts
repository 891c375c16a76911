import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { createPortalSession } from "@/lib/billing/checkout";
import { stripeClient } from "@/lib/billing/stripe";
import { assertSameOrigin } from "@/lib/http/csrf";
import { route } from "@/lib/http/errors";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";


export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  stripeClient(); // 503 payments_disabled when Stripe is not configured
  await enforceUserLimit(RATE_LIMITS.billingPortal, user.id);
  return NextResponse.json(await createPortalSession(await getStore(), user));
});
