import { env } from "@/lib/env";
import { route } from "@/lib/http/errors";
import { getStore } from "@/lib/store";
import { processClerkWebhook } from "@/lib/webhooks/clerk";

export const runtime = "nodejs";

/** Called by Clerk (via Svix), not by a signed-in user: the signature is the authentication. */
export const POST = route(async (request) =>
  processClerkWebhook(await getStore(), request, { secret: env().CLERK_WEBHOOK_SECRET }),
);
