import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, MAX_LIMITS, PartialLimitsSchema, resolveLimits } from "../src/limits";

describe("limits", () => {
  it("defaults follow DESIGN §5", () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      wallMs: 10_000,
      cpuMs: 5_000,
      memoryBytes: 512 * 1024 * 1024,
      pids: 128,
      outputBytes: 1024 * 1024,
      fileSizeBytes: 16 * 1024 * 1024,
    });
  });

  it("accepts a subset within the maximum and fills in the rest", () => {
    const parsed = PartialLimitsSchema.parse({ wallMs: 2_000, memoryBytes: 64 * 1024 * 1024 });
    expect(resolveLimits(parsed)).toEqual({ ...DEFAULT_LIMITS, wallMs: 2_000, memoryBytes: 64 * 1024 * 1024 });
  });

  it("refuses a limit above the server's maximum with a message naming it", () => {
    const result = PartialLimitsSchema.safeParse({ memoryBytes: MAX_LIMITS.memoryBytes + 1 });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].message).toBe(`limits.memoryBytes must be at most ${MAX_LIMITS.memoryBytes} (the server's maximum)`);
  });

  it("refuses unknown keys, fractions and values too small to start anything", () => {
    expect(PartialLimitsSchema.safeParse({ network: 1 }).success).toBe(false);
    expect(PartialLimitsSchema.safeParse({ wallMs: 1.5 }).success).toBe(false);
    expect(PartialLimitsSchema.safeParse({ pids: 0 }).success).toBe(false);
    expect(PartialLimitsSchema.safeParse({ cpuMs: "1000" }).success).toBe(false);
  });
});
