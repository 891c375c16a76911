import { NextResponse } from "next/server";
import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { getStore } from "@/lib/store";

export const runtime = "nodejs";

const RECENT_REQUESTS = 50;

/** `{balance, stats, recent}`: totals by kind and model, and the latest AI requests. */
export const GET = route(async (request) => {
  const user = await requireUser(request);
  const store = await getStore();
  const [balance, stats, recent] = await Promise.all([
    store.getBalance(user.id),
    store.usageStats(user.id),
    store.listAiRequests(user.id, RECENT_REQUESTS),
  ]);
  return NextResponse.json({ balance, stats, recent });
});
