import type { Writable } from "node:stream";
import type { RunnerConfig } from "../config.js";

/**
 * What the warm-launcher pool (warm-pool.ts) and the ready-sandbox pool (ready-pool.ts) share: a
 * few processes started ahead of demand, each taken by exactly one run, refilled in the background
 * after every take, with a stop after MAX_FAILURES starts in a row fail (runs then start cold).
 */

const MAX_FAILURES = 3;

export abstract class PrestartedPool<Slot> {
  protected readonly idle: Slot[] = [];
  /** Starts that failed in a row; a subclass counts them in startOne and resets on success. */
  protected failures = 0;
  protected closed = false;
  private starting = 0;

  constructor(private readonly size: number) {}

  /** Whether an idle slot can still serve a run (its process is alive). */
  protected abstract usable(slot: Slot): boolean;
  /** Starts one slot and pushes it on `idle` once it can be taken. */
  protected abstract startOne(): void;
  abstract close(): Promise<void>;

  /** Resolves once a slot is usable, the pool gave up starting them, or `timeoutMs` passed. */
  async ready(timeoutMs: number): Promise<boolean> {
    this.refillSoon();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.closed && this.failures < MAX_FAILURES) {
      if (this.idle.some((slot) => this.usable(slot))) return true;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return this.idle.some((slot) => this.usable(slot));
  }

  protected refillSoon(): void {
    if (this.closed || this.failures >= MAX_FAILURES) return;
    while (this.idle.length + this.starting < this.size) {
      this.starting++;
      setImmediate(() => {
        this.starting--;
        this.startOne();
      });
    }
  }
}

/** One pool per runner configuration (the fields `keyOf` picks), created on first use. */
export class PoolRegistry<Pool extends { close(): Promise<void> }> {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly keyOf: (config: RunnerConfig) => unknown[],
    private readonly create: (config: RunnerConfig) => Pool,
  ) {}

  get(config: RunnerConfig): Pool {
    const key = JSON.stringify(this.keyOf(config));
    let pool = this.pools.get(key);
    if (!pool) {
      pool = this.create(config);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Stops every pool (tests, shutdown). */
  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((pool) => pool.close()));
  }
}

/** Sends a pre-started process its request (NUL-terminated strings) and closes the pipe. */
export function sendRequest(pipe: Writable, args: string[]): void {
  pipe.on("error", () => {
    // The process died before reading: the run reports that it failed to start.
  });
  pipe.end(Buffer.from(args.map((arg) => `${arg}\0`).join(""), "utf8"));
}
