import { env } from "@/lib/env";
import type { Store } from "./types";

export * from "./types";

let storePromise: Promise<Store> | undefined;

/** The process-wide store, chosen once by lib/env (CONVEX_URL → Convex, else SQLite). */
export function getStore(): Promise<Store> {
  storePromise ??= openStore();
  return storePromise;
}

async function openStore(): Promise<Store> {
  const e = env();
  if (e.storeMode === "convex") {
    const { createConvexStore } = await import("./convex");
    return createConvexStore({ url: e.CONVEX_URL!, serverSecret: e.AUTOCREA_SERVER_SECRET! });
  }
  const path = await import("node:path");
  const { createSqliteStore } = await import("./sqlite");
  return createSqliteStore(path.join(e.DATA_DIR, "autocrea.db"));
}

/** Tests only: close and forget the cached store so the next getStore() opens a fresh one (re-reading env). */
export async function resetStoreForTests(): Promise<void> {
  const previous = storePromise;
  storePromise = undefined;
  if (previous) await (await previous.catch(() => undefined))?.close();
}
