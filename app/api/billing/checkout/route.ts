import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { checkoutRequestSchema, createCheckoutSession } from "@/lib/billing/checkout";
import { stripeClient } from "@/lib/billing/stripe";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { enforceIpLimit, enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";


export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  stripeClient(); // 503 payments_disabled before anything else when Stripe is not configured
  await enforceUserLimit(RATE_LIMITS.checkout, user.id);
  await enforceIpLimit(request, RATE_LIMITS.checkoutPerIp);
  const body = await parseJson(request, checkoutRequestSchema, { maxBytes: 4 * 1024 });
  const session = await createCheckoutSession(await getStore(), user, body);
  return NextResponse.json(session);
});
