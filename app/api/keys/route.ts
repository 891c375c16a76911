import { NextResponse } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth";
import { assertSameOrigin } from "@/lib/http/csrf";
import { parseJson, route } from "@/lib/http/errors";
import { fieldError, oneOf } from "@/lib/http/fields";
import { enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";
import { listUserKeys, saveUserKey, STORED_KEY_PROVIDERS } from "@/lib/secrets/user-keys";

export const runtime = "nodejs";

const saveKeySchema = z.object({
  provider: oneOf("provider", STORED_KEY_PROVIDERS),
  apiKey: z
    .string({ error: fieldError("apiKey", "a string") })
    .trim()
    .min(8, "apiKey looks too short")
    .max(2048)
    .regex(/^\S+$/, "apiKey must not contain spaces"),
});

/** The user's stored keys: provider, last 4 characters, createdAt. Never the key. */
export const GET = route(async (request) => {
  const user = await requireUser(request);
  return NextResponse.json({ keys: await listUserKeys(user.id) });
});

/** Stores (or replaces) the user's key for a provider, encrypted. 503 when the server has no encryption key. */
export const POST = route(async (request) => {
  const user = await requireUser(request);
  assertSameOrigin(request);
  await enforceUserLimit(RATE_LIMITS.keys, user.id);
  const { provider, apiKey } = await parseJson(request, saveKeySchema, { maxBytes: 4 * 1024 });
  const key = await saveUserKey(user.id, provider, apiKey);
  return NextResponse.json({ key }, { status: 201 });
});
