import { getRunnerConfig } from "./config";
import { logger } from "./log";
import { selfTest } from "./selftest";
import { loadServerConfig } from "./server/config";
import { startRunner, type RunningRunner } from "./server/start";

/**
 * Entry point: read config, prove the sandbox can be built, listen.
 * Refuses to start without RUNNER_SECRET or when the self-test fails;
 * it never runs anything unsandboxed. Logs JSON lines on stderr (src/log.ts).
 */

async function main(): Promise<void> {
  const config = loadServerConfig();
  const runnerConfig = getRunnerConfig();
  let runner: RunningRunner | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "ending sessions and shutting down");
    const force = setTimeout(() => {
      logger.error("shutdown took longer than 10 s; exiting anyway");
      process.exit(1);
    }, 10_000);
    force.unref();
    (runner?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  try {
    await selfTest(runnerConfig);
  } catch (error) {
    throw new Error(`sandbox self-test failed, refusing to start: ${error instanceof Error ? error.message : error}`);
  }
  if (stopping) return;
  runner = await startRunner(config, runnerConfig, logger);
  // Tests and tools wait for "listening on <url> " in this line.
  logger.info(
    { url: runner.url, maxSessions: config.maxSessions, sessionIdleTtlMs: config.sessionIdleTtlMs },
    `listening on ${runner.url} (sessions: max ${config.maxSessions}, idle TTL ${config.sessionIdleTtlMs / 1000} s)`,
  );
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});
