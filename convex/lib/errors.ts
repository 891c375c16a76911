import { ConvexError } from "convex/values";
import type { StoreErrorCode } from "../../lib/store/types";

/** Error codes the adapter understands: the Store's own, plus a refused server secret. */
export type ConvexErrorCode = StoreErrorCode | "unauthorized";

export interface ConvexErrorData {
  code: ConvexErrorCode;
  message: string;
}

export function storeError(code: ConvexErrorCode, message: string): ConvexError<{ code: ConvexErrorCode; message: string }> {
  return new ConvexError({ code, message });
}
