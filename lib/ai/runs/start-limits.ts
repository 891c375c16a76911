import { enforceIpLimit, enforceLimit } from "@/lib/rate-limit";

/** Generations and change requests share one budget: both start model work for the user. */
const STARTS_PER_MINUTE = 10;
const STARTS_PER_MINUTE_PER_IP = 20;

export async function enforceRunStartLimits(request: Request, userId: string): Promise<void> {
  await enforceLimit(`generate:${userId}`, { max: STARTS_PER_MINUTE, windowMs: 60_000 }, "Too many generations and changes started.");
  await enforceIpLimit(request, "generate", { max: STARTS_PER_MINUTE_PER_IP, windowMs: 60_000 }, "Too many generations and changes started from your network.");
}
