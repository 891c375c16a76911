import type { RunnerClient } from "@/lib/sandbox/client";
import type { Id, Store } from "@/lib/store/types";
import type { Meter } from "../credits";
import type { CallEvent, ProviderCandidate, RunEvent, StreamCompletionOptions } from "../types";
import type { WorkingTree } from "./working-tree";

export type StreamFn = (options: StreamCompletionOptions) => AsyncGenerator<CallEvent>;

/** Why a run stopped before its end. */
export type StopReason = { kind: "canceled"; message: string } | { kind: "cap"; message: string };

/** Everything a run's steps share. */
export interface RunScope {
  store: Store;
  userId: Id;
  projectId: Id;
  runId: Id;
  candidates: ProviderCandidate[];
  stream: StreamFn;
  /** Persists the event, then pushes it to live subscribers. */
  emit: (event: RunEvent) => Promise<void>;
  /** Aborted on cancel, on reaching the cap and at the run's deadline (reason: an AbortReason); `stopReason()` says which. */
  signal: AbortSignal;
  stopReason: () => string;
  tree: WorkingTree;
  meter: Meter;
  runner: RunnerClient | null;
  timeoutMs?: number;
}
