import { describe, expect, it } from "vitest";
import { createEmitter } from "@/lib/ai/runs/registry";
import type { RunEvent } from "@/lib/ai/types";
import type { Store, StoredRunEvent } from "@/lib/store/types";

/** A store that only appends run events, the one operation the emitter uses. */
function eventLog() {
  const appended: RunEvent[] = [];
  const store = {
    appendRunEvent: async (_userId: string, _runId: string, event: RunEvent) => appended.push(event),
  } as unknown as Store;
  return { store, appended };
}

describe("createEmitter", () => {
  it("persists events in call order with increasing seqs and pushes each to the subscribers", async () => {
    const { store, appended } = eventLog();
    const seen: StoredRunEvent[] = [];
    const emit = createEmitter(store, "u", "r", () => [(e) => seen.push(e)]);
    await Promise.all([
      emit({ type: "meter", spent: 1, reserved: 10 }),
      emit({ type: "log", level: "info", message: "second" }),
    ]);
    expect(appended.map((e) => e.type)).toEqual(["meter", "log"]);
    expect(seen.map((e) => e.seq)).toEqual([1, 2]);
  });

  it("drops every event after the run's last one, so nothing follows done or failed", async () => {
    for (const last of [
      { type: "failed", status: "failed", spent: 2, refunded: 8, error: "stopped" },
      { type: "done", status: "completed", spent: 2, refunded: 8, version: 3 },
    ] satisfies RunEvent[]) {
      const { store, appended } = eventLog();
      const emit = createEmitter(store, "u", "r", () => []);
      await emit({ type: "meter", spent: 2, reserved: 10 });
      await emit(last);
      await emit({ type: "log", level: "warn", message: "a step still unwinding" });
      await emit({ type: "meter", spent: 3, reserved: 10 });
      expect(appended.map((e) => e.type)).toEqual(["meter", last.type]);
    }
  });
});
