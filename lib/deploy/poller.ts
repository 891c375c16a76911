import type { Deployment, DeploymentPatch } from "@/lib/store/types";
import { log } from "@/lib/log";
import { appendLogLines, capLogs, describeProviderError, isRetryableError, MAX_DEPLOYMENT_LOG_CHARS, redactSecrets } from "./logs";
import { PROVIDER_LABELS } from "./labels";
import { isFinalStatus, type DeployProviderClient, type ProviderDeploymentState } from "./types";

/**
 * Background status polling, one loop per deployment in this process:
 * exponential backoff between checks, transient provider errors retried,
 * an overall deadline, and the final state (with the provider's logs on a
 * failure) written through a sink. Time is injectable so tests never wait.
 */

export interface PollerTimings {
  /** The first wait after the deployment was created or resumed. */
  initialDelayMs: number;
  /** Waits double up to this. */
  maxDelayMs: number;
  /** Counted from the deployment's createdAt; past it the deployment fails. */
  deadlineMs: number;
}

export const DEFAULT_POLLER_TIMINGS: PollerTimings = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  deadlineMs: 30 * 60_000,
};

export interface PollerClock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: PollerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      signal.addEventListener("abort", done, { once: true });
    }),
};

/** Where the poller writes what it learns (the store, in the app). Returns the updated record. */
export interface PollSink {
  update(deployment: Deployment, patch: DeploymentPatch): Promise<Deployment>;
}

export interface PollTarget {
  /** Must have a providerId. */
  deployment: Deployment;
  client: DeployProviderClient;
  token: string;
}

/** The provider's build log keeps at most this much of the stored logs, so our own lines stay. */
const PROVIDER_LOG_BUDGET = MAX_DEPLOYMENT_LOG_CHARS - 8 * 1024;

export const TIMED_OUT_MESSAGE = "Deployment failed: timed out waiting for the provider.";

/**
 * Writes a final provider state: status, URL and a closing log line; on a
 * failure the provider's own logs too (tail only, token redacted). Returns
 * the updated record, or the given one unchanged if `signal` aborted first.
 */
export async function recordFinalState(
  sink: PollSink,
  target: PollTarget,
  state: ProviderDeploymentState,
  signal?: AbortSignal,
): Promise<Deployment> {
  const { deployment, client, token } = target;
  const label = PROVIDER_LABELS[deployment.provider];
  const lines: string[] = [];
  if (state.status === "success") {
    lines.push(state.url ? `Deployed: ${state.url}` : `${label} reports the deployment is ready.`);
  } else if (state.status === "canceled") {
    lines.push(`${label} canceled the deployment.`);
  } else {
    lines.push(`${label} reports the deployment failed${state.errorMessage ? `: ${state.errorMessage}` : "."}`);
    try {
      const providerLogs = await client.logs(token, state.providerId, signal);
      const tail = capLogs(redactSecrets(providerLogs, [token]), PROVIDER_LOG_BUDGET);
      if (tail.trim()) lines.push(`--- ${label} build logs ---`, ...tail.split("\n"));
    } catch (err) {
      lines.push(`Could not fetch the build logs: ${describeProviderError(label, err)}`);
    }
  }
  if (signal?.aborted) return deployment;
  return sink.update(deployment, {
    status: state.status,
    url: state.url ?? deployment.url,
    logs: appendLogLines(deployment.logs, lines, [token]),
  });
}

interface ActivePoll {
  controller: AbortController;
  done: Promise<void>;
}

export class DeploymentPoller {
  private readonly active = new Map<string, ActivePoll>();
  private timings: PollerTimings;
  private clock: PollerClock;

  constructor(
    private readonly sink: PollSink,
    options: { clock?: PollerClock; timings?: Partial<PollerTimings> } = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.timings = { ...DEFAULT_POLLER_TIMINGS, ...options.timings };
  }

  /** Tests only: faster (or fake) time for the pollers started from now on. */
  configureForTests(options: { clock?: PollerClock; timings?: Partial<PollerTimings> }): void {
    if (options.clock) this.clock = options.clock;
    this.timings = { ...DEFAULT_POLLER_TIMINGS, ...options.timings };
  }

  isPolling(deploymentId: string): boolean {
    return this.active.has(deploymentId);
  }

  /** Resolves when this deployment's loop ends; null when none is running. */
  whenDone(deploymentId: string): Promise<void> | null {
    return this.active.get(deploymentId)?.done ?? null;
  }

  /**
   * Starts polling unless a loop for this deployment is already running, the
   * deployment is final, or it has no providerId yet. Returns whether it started.
   */
  start(target: PollTarget): boolean {
    const { deployment } = target;
    if (this.active.has(deployment.id) || isFinalStatus(deployment.status) || !deployment.providerId) return false;
    const controller = new AbortController();
    const done = this.run(target, controller.signal)
      .catch((err) => {
        log.error(
          { deploymentId: deployment.id, provider: deployment.provider, error: redactSecrets(err instanceof Error ? err.message : String(err), [target.token]) },
          "polling the deployment stopped",
        );
      })
      .finally(() => {
        if (this.active.get(deployment.id)?.controller === controller) this.active.delete(deployment.id);
      });
    this.active.set(deployment.id, { controller, done });
    return true;
  }

  /** Stops the loop (if any) and resolves once it can write nothing more. */
  async stop(deploymentId: string): Promise<void> {
    const poll = this.active.get(deploymentId);
    if (!poll) return;
    poll.controller.abort();
    await poll.done;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.stop(id)));
  }

  /** Resolves when no loop is running (each has reached a final state or was stopped). */
  async waitForIdle(): Promise<void> {
    while (this.active.size > 0) {
      await Promise.all([...this.active.values()].map((p) => p.done));
    }
  }

  private async run(target: PollTarget, signal: AbortSignal): Promise<void> {
    const { client, token } = target;
    const providerId = target.deployment.providerId!;
    const label = PROVIDER_LABELS[target.deployment.provider];
    const { initialDelayMs, maxDelayMs, deadlineMs } = this.timings;
    const clock = this.clock;
    const deadline = target.deployment.createdAt + deadlineMs;
    let current = target.deployment;
    let delay = initialDelayMs;
    const write = async (patch: DeploymentPatch) => {
      if (!signal.aborted) current = await this.sink.update(current, patch);
    };

    while (!signal.aborted) {
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        await write({ status: "failed", logs: appendLogLines(current.logs, TIMED_OUT_MESSAGE, [token]) });
        await client.cancel(token, providerId).catch(() => undefined);
        return;
      }
      await clock.sleep(Math.min(delay, remaining), signal);
      if (signal.aborted) return;
      if (clock.now() >= deadline) continue;
      delay = Math.min(delay * 2, maxDelayMs);

      let state: ProviderDeploymentState;
      try {
        state = await client.status(token, providerId, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (isRetryableError(err)) continue;
        await write({
          status: "failed",
          logs: appendLogLines(current.logs, `Checking the deployment failed. ${describeProviderError(label, err)}`, [token]),
        });
        return;
      }
      if (signal.aborted) return;

      if (isFinalStatus(state.status)) {
        await recordFinalState(this.sink, { ...target, deployment: current }, state, signal);
        return;
      }
      if (state.status !== current.status || (state.url && state.url !== current.url)) {
        const lines = state.status !== current.status && state.status === "building" ? [`Building on ${label}…`] : [];
        await write({ status: state.status, url: state.url ?? current.url, logs: appendLogLines(current.logs, lines, [token]) });
      }
    }
  }
}
