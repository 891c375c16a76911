import { convexTest } from "convex-test";
import { vi } from "vitest";
import schema from "@/convex/schema";
import { createConvexStoreFromClient } from "@/lib/store/convex";
import type { Store } from "@/lib/store/types";

export const SERVER_SECRET = "test-server-secret-0123456789";

const modules = import.meta.glob("../../convex/**/*.ts");

/**
 * A fresh in-memory Convex backend (convex-test) with AUTOCREA_SERVER_SECRET
 * set for its functions and a deployment's per-transaction limits enforced.
 */
export function newBackend() {
  vi.stubEnv("AUTOCREA_SERVER_SECRET", SERVER_SECRET);
  return convexTest({ schema, modules, transactionLimits: true });
}

/** The Convex store adapter over a fresh backend, calling with `secret`. */
export async function openConvexStore(secret = SERVER_SECRET): Promise<{ store: Store; t: ReturnType<typeof newBackend> }> {
  const t = newBackend();
  return { store: await createConvexStoreFromClient(t, secret), t };
}
