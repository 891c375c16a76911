import type { Id, Store, StoredRunEvent } from "@/lib/store/types";
import type { RunEvent } from "../types";

/**
 * Runs executing in this process. A run lives here from its start to its
 * last event, independent of any HTTP request: browsers come and go as
 * subscribers. Kept on globalThis so a dev-mode module reload does not lose
 * track of runs in flight.
 */

export type Subscriber = (stored: StoredRunEvent) => void;

export interface LiveRun {
  runId: Id;
  userId: Id;
  projectId: Id;
  controller: AbortController;
  subscribers: Set<Subscriber>;
  /** Settles when the run has emitted its last event and left the registry. */
  finished: Promise<void>;
}

const KEY = Symbol.for("autocrea.liveRuns");
type WithRegistry = typeof globalThis & { [KEY]?: Map<Id, LiveRun> };

function registry(): Map<Id, LiveRun> {
  const g = globalThis as WithRegistry;
  g[KEY] ??= new Map();
  return g[KEY];
}

export function registerRun(run: Omit<LiveRun, "subscribers" | "finished">, finished: Promise<void>): LiveRun {
  const live: LiveRun = { ...run, subscribers: new Set(), finished };
  registry().set(run.runId, live);
  return live;
}

export function unregisterRun(runId: Id): void {
  registry().delete(runId);
}

/** The live run if it is executing here and belongs to `userId`. */
export function getLiveRun(userId: Id, runId: Id): LiveRun | undefined {
  const live = registry().get(runId);
  return live && live.userId === userId ? live : undefined;
}

export function liveRunOfProject(projectId: Id): LiveRun | undefined {
  for (const live of registry().values()) if (live.projectId === projectId) return live;
  return undefined;
}

/** Every run still executing here (tests and shutdown use it to wait). */
export function liveRuns(): LiveRun[] {
  return [...registry().values()];
}

/**
 * The run's `emit`: persists each event (getting its seq), then pushes it to
 * the live subscribers. Events are handled one at a time in call order, so
 * concurrent roles cannot reorder seqs, and no subscriber ever sees an event
 * a reload could not replay.
 */
export function createEmitter(store: Store, userId: Id, runId: Id, subscribers: () => Iterable<Subscriber>) {
  let tail: Promise<unknown> = Promise.resolve();
  let ended = false;
  return (event: RunEvent): Promise<void> => {
    // The run's last event ("done" or "failed") closes the stream: a step still
    // unwinding after a forced finalize must not append events after it.
    if (ended) return Promise.resolve();
    if (event.type === "done" || event.type === "failed") ended = true;
    const next = tail.then(async () => {
      const seq = await store.appendRunEvent(userId, runId, event);
      for (const subscriber of subscribers()) {
        try {
          subscriber({ seq, event });
        } catch {
          // A broken subscriber (a closed connection) must not stop the run.
        }
      }
    });
    tail = next.catch(() => {});
    return next;
  };
}
