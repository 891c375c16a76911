import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { deploymentStats } from "@/lib/deploy/service";
import { route } from "@/lib/http/errors";

export const runtime = "nodejs";

/** The user's deployments across all projects: total, by status, success rate, by provider. */
export const GET = route(async (request) => {
  const user = await requireUser(request);
  return NextResponse.json({ stats: await deploymentStats(user.id) });
});
