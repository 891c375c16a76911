"use client";

import { useEffect, useReducer, useRef, useState } from "react";
import type { RunEvent } from "@/lib/ai/types";
import { initialRunState, reduceRun, type RunState, type SeqEvent } from "@/lib/client/run-state";

const RUN_EVENT_TYPES: readonly RunEvent["type"][] = [
  "run_started",
  "step_started",
  "step_finished",
  "step_progress",
  "file_started",
  "file_written",
  "file_edited",
  "file_deleted",
  "meter",
  "log",
  "done",
  "failed",
];

export type Connection = "connecting" | "open" | "reconnecting" | "closed" | "not_found" | "lost";

interface RunEventsResult {
  state: RunState;
  connection: Connection;
  /** The run's status from the server when the stream ended without a final event (a crashed server). */
  endedWithoutEvent: string | null;
  /** Opens a new connection (after "lost"); the events are replayed from the first. */
  reconnect(): void;
}

/**
 * Follows GET /api/generations/:runId/events with an EventSource (it
 * resumes with Last-Event-ID on its own after a drop) and folds the events
 * into RunState. A reload starts from the first event: same state.
 * `onEvent` sees each new event once, after it is applied. Mount one per run
 * (key the component by runId).
 */
export function useRunEvents(runId: string, onEvent?: (event: SeqEvent) => void): RunEventsResult {
  const [state, dispatch] = useReducer(reduceRun, initialRunState);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [endedWithoutEvent, setEndedWithoutEvent] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const onEventRef = useRef(onEvent);
  const lastSeqRef = useRef(0);
  useEffect(() => {
    onEventRef.current = onEvent;
  });

  useEffect(() => {
    let finished = false;
    let checking = false;
    const base = `/api/generations/${encodeURIComponent(runId)}/events`;
    // A manual reconnect resumes where this page stopped, as the browser's own reconnects do.
    const source = new EventSource(lastSeqRef.current > 0 ? `${base}?lastEventId=${lastSeqRef.current}` : base);

    const onMessage = (message: MessageEvent<string>) => {
      const seq = Number(message.lastEventId);
      if (!Number.isInteger(seq) || seq <= lastSeqRef.current) return;
      let event: RunEvent;
      try {
        event = JSON.parse(message.data) as RunEvent;
      } catch {
        return;
      }
      lastSeqRef.current = seq;
      const seqEvent = { seq, event };
      dispatch(seqEvent);
      onEventRef.current?.(seqEvent);
      if (event.type === "done" || event.type === "failed") {
        finished = true;
        source.close();
        setConnection("closed");
      }
    };
    for (const type of RUN_EVENT_TYPES) source.addEventListener(type, onMessage as EventListener);
    source.onopen = () => setConnection("open");

    // The browser reconnects by itself; ask the server why the stream dropped, to stop when nothing more can come.
    source.onerror = async () => {
      if (finished || checking) return;
      setConnection(source.readyState === EventSource.CLOSED ? "lost" : "reconnecting");
      checking = true;
      try {
        const response = await fetch(`/api/generations/${encodeURIComponent(runId)}`);
        if (response.status === 404) {
          source.close();
          setConnection("not_found");
          finished = true;
        } else if (response.ok) {
          const { run } = (await response.json()) as { run: { status: string } };
          // Finished: the final event is normally replayed on reconnect; wait a moment for it before giving up.
          if (run.status !== "running") {
            setTimeout(() => {
              if (finished) return;
              source.close();
              finished = true;
              setConnection("closed");
              setEndedWithoutEvent(run.status);
            }, 3_000);
          }
        }
      } catch {
        // offline: the EventSource keeps retrying
      } finally {
        checking = false;
      }
    };

    return () => {
      finished = true;
      source.close();
    };
  }, [runId, attempt]);

  const reconnect = () => {
    setConnection("connecting");
    setAttempt((n) => n + 1);
  };
  return { state, connection, endedWithoutEvent, reconnect };
}
