import type { AddressInfo } from "node:net";
import { getRunnerConfig, sessionUidRange, type RunnerConfig } from "../config";
import { execute } from "../execute";
import { loadGatewayConfig } from "../gateway/config";
import { PackageGateway } from "../gateway/gateway";
import { listRuntimes } from "../runtimes";
import { checkQuotaVolumes } from "../sandbox/quota-volume";
import { sweepStaleWorkspaces } from "../sandbox/workspace";
import { SessionManager } from "../sessions/manager";
import { createSessionSandbox } from "../sessions/sandbox-core";
import { logger as defaultLogger, type Logger } from "../log";
import type { ServerConfig } from "./config";
import { createRunnerServer } from "./server";

export interface RunningRunner {
  url: string;
  sessions: SessionManager;
  /** Stops accepting connections, ends every session (processes, cgroups, workspaces). */
  close(): Promise<void>;
}

/** Wires the service together and listens. The caller runs the self-test first. */
export async function startRunner(
  config: ServerConfig,
  runnerConfig: RunnerConfig = getRunnerConfig(),
  logger: Logger = defaultLogger,
): Promise<RunningRunner> {
  const uids = sessionUidRange(runnerConfig, config.maxSessions);
  if (config.workspaceQuota) await checkQuotaVolumes(runnerConfig.stateDir, { uid: uids[0]!, gid: uids[0]! });
  // What a runner killed before it could clean up left behind (its sessions' workspaces, say). The
  // list is taken now, before any request; removing it does not hold up the start.
  const sweeping = sweepStaleWorkspaces(runnerConfig).then(
    (removed) => {
      if (removed.length > 0) logger.info({ removed: removed.length }, "removed stale workspaces of earlier runs");
    },
    (error: unknown) => logger.error({ err: error }, "removing stale workspaces failed"),
  );
  const gateway = config.gateway ? await startGateway(runnerConfig, uids, logger) : undefined;
  const sessions = new SessionManager({
    sandbox: createSessionSandbox(runnerConfig, { uids, gateway, quota: config.workspaceQuota, logger }),
    idleTtlMs: config.sessionIdleTtlMs,
    maxSessions: config.maxSessions,
    appIdleTtlMs: config.appIdleTtlMs,
  });
  const server = createRunnerServer({
    secret: config.secret,
    sessions,
    execute,
    runtimes: listRuntimes,
    maxBodyBytes: config.maxBodyBytes,
    health: () => ({
      gateway: gateway ? "ok" : config.gateway ? "unavailable" : "off",
      workspaceQuota: config.workspaceQuota ? "on" : "off",
    }),
    logger,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await Promise.all([sessions.closeAll(), gateway?.close()]);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    sessions,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await sessions.closeAll();
        server.closeAllConnections();
        await Promise.all([stopped, sweeping, gateway?.close()]);
      })();
      return closing;
    },
  };
}

/**
 * The package gateway, started; undefined (logged) when it cannot start: sessions then reach no
 * registry, and everything else works as before.
 */
async function startGateway(
  runnerConfig: RunnerConfig,
  sessionUids: number[],
  logger: Logger,
): Promise<PackageGateway | undefined> {
  const gatewayConfig = await loadGatewayConfig(runnerConfig.stateDir);
  if (gatewayConfig.uid === runnerConfig.sandboxUid || sessionUids.includes(gatewayConfig.uid)) {
    throw new Error(`RUNNER_GATEWAY_UID (${gatewayConfig.uid}) must differ from the sandbox uid and every session uid`);
  }
  try {
    const gateway = new PackageGateway(gatewayConfig, logger);
    await gateway.start();
    return gateway;
  } catch (error) {
    logger.error({ err: error }, "the package gateway could not start; sessions will reach no package registry");
    return undefined;
  }
}
