import { enforceIpLimit, enforceUserLimit, RATE_LIMITS } from "@/lib/rate-limit";

/** Generations and change requests share one budget: both start model work for the user. */
export async function enforceRunStartLimits(request: Request, userId: string): Promise<void> {
  await enforceUserLimit(RATE_LIMITS.runStarts, userId);
  await enforceIpLimit(request, RATE_LIMITS.runStartsPerIp);
}
