import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { launchRun } from "@/lib/ai/runs/execute";
import type { RunEvent } from "@/lib/ai/types";
import type { RunnerClient } from "@/lib/sandbox/client";
import type { RunResult } from "@/lib/sandbox/types";
import { createSqliteStore } from "@/lib/store/sqlite";
import type { Store } from "@/lib/store/types";
import { SCRIPT_CANDIDATES, scriptedRoles } from "./support/scripted-roles";

/**
 * A stopped run whose step does not unwind (here: a runner command that
 * ignores the abort) is finalized after the unwind window anyway: one final
 * event, the reservation settled, and whatever the stuck step does later
 * neither appends events nor changes what was charged.
 */

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const passed: RunResult = {
  stdout: "ok\n",
  stderr: "",
  exitCode: 0,
  signal: null,
  status: "OK",
  wallMs: 5,
  cpuMs: 1,
  memoryBytes: 0,
  truncated: false,
  message: "",
};

/** A runner whose command ignores the caller's abort until the test releases it. */
function stuckRunner() {
  const commandStarted = deferred();
  const release = deferred<RunResult>();
  const sessionDeleted = deferred();
  const runner = {
    createSession: async () => ({ id: "s1" }),
    writeFiles: async () => {},
    runCommand: async () => {
      commandStarted.resolve();
      return release.promise;
    },
    deleteSession: async () => sessionDeleted.resolve(),
  } as unknown as RunnerClient;
  return { runner, commandStarted: commandStarted.promise, release: release.resolve, sessionDeleted: sessionDeleted.promise };
}

describe("a stopped run whose step does not unwind", () => {
  let store: Store;
  beforeEach(async () => {
    store = await createSqliteStore(":memory:");
  });
  afterEach(async () => {
    await store.close();
  });

  it("is finalized after the unwind window, and the stuck step's late work changes nothing", async () => {
    const { user } = await store.ensureUser({ externalId: "u-unwind", email: "unwind@example.com" });
    const project = await store.createProject(user.id, { name: "Stuck" });
    const before = await store.getBalance(user.id);
    const reserved = await store.reserveCredits(user.id, 50, "run-unwind");
    if (!reserved.ok) throw new Error("reservation refused");
    const run = await store.createRun(user.id, { projectId: project.id, reservationId: reserved.reservation.id, cap: 50, estimate: 50 });
    const stuck = stuckRunner();

    const live = launchRun({
      store,
      userId: user.id,
      run,
      prompt: "Build it",
      candidates: SCRIPT_CANDIDATES,
      stream: scriptedRoles("Stuck", "npm test"),
      runner: stuck.runner,
      maxFixerPasses: 0,
      stopUnwindMs: 20,
    });
    await stuck.commandStarted;
    live.controller.abort("canceled");
    await live.finished;

    const settledRun = await store.getRun(user.id, run.id);
    expect(settledRun).toMatchObject({ status: "canceled", error: "The run was canceled." });
    const events = (await store.listRunEvents(user.id, run.id)).map((e) => e.event as RunEvent);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: "failed", status: "canceled" });
    expect(events.filter((e) => e.type === "failed" || e.type === "done")).toHaveLength(1);
    const reservation = await store.getReservation(run.reservationId);
    expect(reservation).toMatchObject({ status: "settled" });
    const balance = await store.getBalance(user.id);
    expect(balance).toBe(before - reservation!.spent);

    // The command finally returns; the step finishes its work and cleans up its session.
    stuck.release(passed);
    await stuck.sessionDeleted;
    await new Promise((resolve) => setImmediate(resolve));

    expect((await store.listRunEvents(user.id, run.id)).map((e) => e.event)).toEqual(events);
    expect(await store.getReservation(run.reservationId)).toEqual(reservation);
    expect(await store.getBalance(user.id)).toBe(balance);
    expect(await store.getRun(user.id, run.id)).toEqual(settledRun);
  });
});
