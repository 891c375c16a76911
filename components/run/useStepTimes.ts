"use client";

import { useEffect, useRef, useState } from "react";

export interface StepTime {
  startedAt: number;
  finishedAt: number | null;
}

/**
 * When each step started and finished (run events carry no clock; the step
 * rows of GET /api/generations/:runId do). Refetched whenever `version`
 * changes — the caller bumps it as steps start and finish. A newer answer
 * wins over an older one; a failed fetch is retried a few times.
 */
export function useStepTimes(runId: string, version: string): Record<string, StepTime> {
  const [times, setTimes] = useState<Record<string, StepTime>>({});
  const requested = useRef(0);
  const applied = useRef(0);
  const mounted = useRef(true);

  useEffect(() => {
    const n = ++requested.current;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const load = async (attempt: number) => {
      try {
        const response = await fetch(`/api/generations/${encodeURIComponent(runId)}`, { cache: "no-store" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const { steps } = (await response.json()) as { steps: { id: string; startedAt: number; finishedAt: number | null }[] };
        if (!mounted.current || n < applied.current) return;
        applied.current = n;
        setTimes(Object.fromEntries(steps.map((s) => [s.id, { startedAt: s.startedAt, finishedAt: s.finishedAt }])));
      } catch {
        if (mounted.current && attempt < 3 && n === requested.current) retry = setTimeout(() => void load(attempt + 1), 1_000 * (attempt + 1));
      }
    };
    // Replaying a finished run changes the version many times at once: ask once it settles.
    retry = setTimeout(() => void load(0), 250);
    return () => {
      if (retry) clearTimeout(retry);
    };
  }, [runId, version]);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  return times;
}

/** A clock that ticks every second while `running`, for live elapsed times. */
export function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const first = setTimeout(() => setNow(Date.now()), 0);
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [running]);
  return now;
}

export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return minutes > 0 ? `${minutes}m ${String(seconds).padStart(2, "0")}s` : `${seconds}s`;
}
