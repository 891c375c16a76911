import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { checkoutRequestSchema, createCheckoutSession } from "@/lib/billing/checkout";
import { stripeClient } from "@/lib/billing/stripe";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { enforceIpLimit, enforceLimit } from "@/lib/rate-limit";
import { getStore } from "@/lib/store";

const CHECKOUTS_PER_MINUTE = { max: 10, windowMs: 60_000 };
const CHECKOUTS_PER_MINUTE_PER_IP = { max: 30, windowMs: 60_000 };

export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  stripeClient(); // 503 payments_disabled before anything else when Stripe is not configured
  await enforceLimit(`billing:checkout:${user.id}`, CHECKOUTS_PER_MINUTE, "Too many checkout attempts.");
  await enforceIpLimit(request, "billing:checkout", CHECKOUTS_PER_MINUTE_PER_IP, "Too many checkout attempts.");
  const body = await parseJson(request, checkoutRequestSchema, { maxBytes: 4 * 1024 });
  const session = await createCheckoutSession(await getStore(), user, body);
  return NextResponse.json(session);
});
