import { connection, NextResponse } from "next/server";
import { env } from "@/lib/env";
import { checkHealth } from "@/lib/health";
import { route } from "@/lib/http/errors";
import { getStore } from "@/lib/store";

// Public on purpose (a load-balancer probe): it reports modes, never values.
export const GET = route(async () => {
  await connection(); // always answer live, never a build-time snapshot
  const report = await checkHealth(env(), getStore);
  return NextResponse.json(report, {
    status: report.status === "ok" ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
});
