import { describe, expect, it } from "vitest";
import { continueAfterResponse } from "@/lib/http/background";

describe("continueAfterResponse", () => {
  it("outside a request, lets the work run to its end on its own", async () => {
    let finished = false;
    const work = new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() => {
      finished = true;
    });
    expect(() => continueAfterResponse(work)).not.toThrow();
    await work;
    expect(finished).toBe(true);
  });

  it("does not turn the work's failure into an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      continueAfterResponse(Promise.reject(new Error("the run failed")));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
