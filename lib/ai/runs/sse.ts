import type { Id, Store, StoredRunEvent } from "@/lib/store/types";
import { closeIfOrphaned } from "./abandoned";
import { getLiveRun } from "./registry";

/**
 * A run's events as Server-Sent Events: first the persisted events after
 * `afterSeq` (a reload's Last-Event-ID), then live ones until the run's last
 * event (`done` or `failed`). Heartbeat comments keep proxies from closing an
 * idle connection.
 *
 * No gap, no duplicate: the subscription is opened BEFORE the persisted
 * events are read, events are persisted before they are pushed, and anything
 * at or below the last seq sent is dropped.
 */

export const HEARTBEAT_MS = 15_000;
/** When the run executes in another process (or this one restarted), its events are read from the store this often. */
export const POLL_MS = 1_000;

const TERMINAL = new Set(["done", "failed"]);

export function formatSse({ seq, event }: StoredRunEvent): string {
  return `id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export interface RunEventStreamOptions {
  store: Store;
  userId: Id;
  runId: Id;
  afterSeq: number;
  /** The request's signal: the stream ends when the browser goes away. */
  signal?: AbortSignal;
  heartbeatMs?: number;
  pollMs?: number;
}

export function runEventStream(options: RunEventStreamOptions): ReadableStream<Uint8Array> {
  const { store, userId, runId } = options;
  const encoder = new TextEncoder();
  let lastSeq = options.afterSeq;
  let closed = false;
  const cleanups: (() => void)[] = [];

  const close = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (closed) return;
    closed = true;
    for (const cleanup of cleanups) cleanup();
    try {
      controller.close();
    } catch {
      // already closed by the consumer
    }
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      /** Sends an event once, in order; returns true when it was the run's last. */
      const send = (stored: StoredRunEvent): boolean => {
        if (closed || stored.seq <= lastSeq) return false;
        lastSeq = stored.seq;
        controller.enqueue(encoder.encode(formatSse(stored)));
        if (TERMINAL.has(stored.event.type)) {
          close(controller);
          return true;
        }
        return false;
      };

      const onAbort = () => close(controller);
      if (options.signal?.aborted) return close(controller);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => options.signal?.removeEventListener("abort", onAbort));

      const heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(": heartbeat\n\n"));
      }, options.heartbeatMs ?? HEARTBEAT_MS);
      cleanups.push(() => clearInterval(heartbeat));

      // Live events that arrive while the persisted ones are being read wait here.
      const pending: StoredRunEvent[] = [];
      let replaying = true;
      let runEnded = false;
      const live = getLiveRun(userId, runId);
      if (live) {
        const subscriber = (stored: StoredRunEvent) => {
          if (replaying) pending.push(stored);
          else send(stored);
        };
        live.subscribers.add(subscriber);
        cleanups.push(() => live.subscribers.delete(subscriber));
        // Normally the last event closes the stream first; this covers a run that could not emit it.
        void live.finished.then(() => {
          runEnded = true;
          if (!replaying) close(controller);
        });
      }

      try {
        for (const stored of await store.listRunEvents(userId, runId, lastSeq)) if (send(stored)) return;
        replaying = false;
        for (const stored of pending.splice(0)) if (send(stored)) return;
        if (runEnded) return close(controller);
        if (live || closed) return;
        await pollUntilDone();
      } catch (err) {
        controller.error(err);
        closed = true;
        for (const cleanup of cleanups) cleanup();
      }

      /**
       * The run is not executing here: follow the store until it ends. A run
       * orphaned by a restart is closed once it passes its bound, so this ends.
       */
      async function pollUntilDone(): Promise<void> {
        let sawFinished = false;
        while (!closed) {
          const found = await store.getRun(userId, runId);
          const run = found && (await closeIfOrphaned(store, userId, found));
          for (const stored of await store.listRunEvents(userId, runId, lastSeq)) if (send(stored)) return;
          if (!run || run.status !== "running") {
            // The last event is appended just after the status is set: look once more, then
            // accept that it finished without one (a crashed process) — nothing more will come.
            if (!run || sawFinished) return close(controller);
            sawFinished = true;
          }
          await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? POLL_MS));
        }
      }
    },
    cancel() {
      closed = true;
      for (const cleanup of cleanups) cleanup();
    },
  });
}
