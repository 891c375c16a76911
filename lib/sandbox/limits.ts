import type { LimitsInput } from "./types";

/**
 * Limits of the commands that check or build a project in its session: an install of real packages
 * through the runner's package gateway, a build, a test run. Within the runner's maximum for session
 * commands (SESSION_COMMAND_MAX_LIMITS in sandbox-runner/src/limits.ts).
 */
export const PROJECT_COMMAND_LIMITS: LimitsInput = {
  wallMs: 5 * 60_000,
  cpuMs: 5 * 60_000,
  memoryBytes: 2048 * 1024 * 1024,
  pids: 512,
  outputBytes: 4 * 1024 * 1024,
  fileSizeBytes: 256 * 1024 * 1024,
  nofile: 2048,
};
