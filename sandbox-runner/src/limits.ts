import { z } from "zod";

/** Resource limits applied to one sandboxed process tree (defaults: sandbox-runner/README.md). */
export interface Limits {
  /** Wall-clock time from start to exit. */
  wallMs: number;
  /** CPU time of the whole process tree (cgroup accounting; RLIMIT_CPU per process as a backstop). */
  cpuMs: number;
  /** Memory of the whole tree, page cache and tmpfs included (cgroup). */
  memoryBytes: number;
  /** Processes and threads in the tree (cgroup pids). */
  pids: number;
  /** stdout + stderr captured together; the run is stopped once exceeded. */
  outputBytes: number;
  /** Largest file a process may write (RLIMIT_FSIZE). */
  fileSizeBytes: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  nofile: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  wallMs: 10_000,
  cpuMs: 5_000,
  memoryBytes: 512 * MiB,
  pids: 128,
  outputBytes: 1 * MiB,
  fileSizeBytes: 16 * MiB,
  nofile: 256,
});

/** Compilers need more room than the programs they build. */
export const DEFAULT_COMPILE_LIMITS: Readonly<Limits> = Object.freeze({
  wallMs: 30_000,
  cpuMs: 20_000,
  memoryBytes: 1024 * MiB,
  pids: 128,
  outputBytes: 1 * MiB,
  fileSizeBytes: 64 * MiB,
  nofile: 512,
});

/** The most a request may ask for. */
export const MAX_LIMITS: Readonly<Limits> = Object.freeze({
  wallMs: 60_000,
  cpuMs: 30_000,
  memoryBytes: 2048 * MiB,
  pids: 512,
  outputBytes: 8 * MiB,
  fileSizeBytes: 128 * MiB,
  nofile: 1024,
});

/** Below these a runtime cannot even start; asking for less is a request error, not a crash. */
export const MIN_LIMITS: Readonly<Limits> = Object.freeze({
  wallMs: 100,
  cpuMs: 100,
  memoryBytes: 16 * MiB,
  pids: 8,
  outputBytes: 1024,
  fileSizeBytes: 1024,
  nofile: 16,
});

/**
 * The most a session command may ask for: an install or a build of a real project takes minutes and
 * more memory than a snippet. Terminals and apps have limits of their own (sandbox-core.ts, app-process.ts).
 */
export const SESSION_COMMAND_MAX_LIMITS: Readonly<Limits> = Object.freeze({
  ...MAX_LIMITS,
  wallMs: 15 * 60_000,
  cpuMs: 15 * 60_000,
  memoryBytes: 4096 * MiB,
  pids: 1024,
  fileSizeBytes: 512 * MiB,
  nofile: 4096,
});

function limitField(key: keyof Limits, max: Readonly<Limits>) {
  return z
    .number({ error: `limits.${key} must be a number` })
    .int(`limits.${key} must be an integer`)
    .min(MIN_LIMITS[key], `limits.${key} must be at least ${MIN_LIMITS[key]}`)
    .max(max[key], `limits.${key} must be at most ${max[key]} (the server's maximum)`)
    .optional();
}

/** Request-supplied limits: any subset, each within [MIN_LIMITS, max]; unknown keys refused. */
export function partialLimitsSchema(max: Readonly<Limits>) {
  return z.strictObject({
    wallMs: limitField("wallMs", max),
    cpuMs: limitField("cpuMs", max),
    memoryBytes: limitField("memoryBytes", max),
    pids: limitField("pids", max),
    outputBytes: limitField("outputBytes", max),
    fileSizeBytes: limitField("fileSizeBytes", max),
    nofile: limitField("nofile", max),
  });
}

/** Limits of an `execute` request. */
export const PartialLimitsSchema = partialLimitsSchema(MAX_LIMITS);

export type PartialLimits = z.infer<typeof PartialLimitsSchema>;

export function resolveLimits(requested: PartialLimits | undefined, base: Readonly<Limits> = DEFAULT_LIMITS): Limits {
  const limits: Limits = { ...base };
  for (const key of Object.keys(limits) as (keyof Limits)[]) {
    const value = requested?.[key];
    if (value !== undefined) limits[key] = value;
  }
  return limits;
}
