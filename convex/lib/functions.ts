import { v, type ObjectType, type PropertyValidators } from "convex/values";
import type { RegisteredMutation, RegisteredQuery } from "convex/server";
import { mutation, query, type MutationCtx, type QueryCtx } from "../_generated/server";
import { isStoreError } from "../../lib/store/types";
import { storeError } from "./errors";
import { requireServerSecret } from "./serverSecret";

type WithSecret<Args extends PropertyValidators> = ObjectType<Args> & { serverSecret: string };

/** A public query that only the Next.js server (holding the server secret) may call. */
export function serverQuery<Args extends PropertyValidators, Output>(definition: {
  args: Args;
  handler: (ctx: QueryCtx, args: ObjectType<Args>) => Promise<Output>;
}): RegisteredQuery<"public", WithSecret<Args>, Promise<Output>> {
  return query({
    args: { ...definition.args, serverSecret: v.string() },
    handler: (ctx: QueryCtx, all: WithSecret<Args>) => {
      const { serverSecret, ...args } = all;
      requireServerSecret(serverSecret);
      return asConvexErrors(() => definition.handler(ctx, args as unknown as ObjectType<Args>));
    },
  } as never) as RegisteredQuery<"public", WithSecret<Args>, Promise<Output>>;
}

/** A public mutation that only the Next.js server (holding the server secret) may call. */
export function serverMutation<Args extends PropertyValidators, Output>(definition: {
  args: Args;
  handler: (ctx: MutationCtx, args: ObjectType<Args>) => Promise<Output>;
}): RegisteredMutation<"public", WithSecret<Args>, Promise<Output>> {
  return mutation({
    args: { ...definition.args, serverSecret: v.string() },
    handler: (ctx: MutationCtx, all: WithSecret<Args>) => {
      const { serverSecret, ...args } = all;
      requireServerSecret(serverSecret);
      return asConvexErrors(() => definition.handler(ctx, args as unknown as ObjectType<Args>));
    },
  } as never) as RegisteredMutation<"public", WithSecret<Args>, Promise<Output>>;
}

/** Shared validation (lib/files) throws StoreError; carry its code to the adapter as a ConvexError. */
async function asConvexErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isStoreError(e)) throw storeError(e.code, e.message);
    throw e;
  }
}
