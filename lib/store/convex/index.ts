import { ConvexHttpClient } from "convex/browser";
import type { Store } from "../types";
import { createConvexStoreFromClient } from "./store";

export { createConvexStoreFromClient, type ConvexFunctionClient } from "./store";

/** The production store: the deployment at `url`, called with the shared server secret. */
export async function createConvexStore(options: { url: string; serverSecret: string }): Promise<Store> {
  return createConvexStoreFromClient(new ConvexHttpClient(options.url), options.serverSecret);
}
