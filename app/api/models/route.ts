import { NextResponse } from "next/server";
import { listModelOptions } from "@/lib/ai/model-choice";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

/** The models the user may pick, with their prices, and the default: `{models, defaultId}` (lib/ai/model-options.ts). */
export const GET = route(async (request) => {
  const user = await requireUser(request);
  return NextResponse.json(await listModelOptions(user.id), { headers: { "Cache-Control": "no-store" } });
});
