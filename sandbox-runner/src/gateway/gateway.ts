import path from "node:path";
import { logger as defaultLogger, type Logger } from "../log";
import { GATEWAY_PORT_IN_SANDBOX, type GatewayConfig } from "./config";
import { Door } from "./door";
import { PypiMirror } from "./pypi";
import { RegistryProcess } from "./registry-process";

/**
 * The package gateway (README "Package gateway"): sandboxes keep no network and reach exactly one
 * thing, their session's door, through which they can read packages from the configured upstream
 * registries via one shared, cached registry server. This class owns the server and the doors.
 */
export class PackageGateway {
  private readonly registry: RegistryProcess;
  private readonly doors = new Map<string, Door>();
  private readonly pypi?: PypiMirror;

  constructor(
    private readonly config: GatewayConfig,
    logger: Logger = defaultLogger,
  ) {
    this.registry = new RegistryProcess(config, logger);
    if (config.pypiUpstream) {
      this.pypi = new PypiMirror({
        upstream: config.pypiUpstream,
        cacheDir: path.join(config.cacheDir, "pypi"),
        maxResponseBytes: config.maxResponseBytes,
        requestTimeoutMs: config.requestTimeoutMs,
      });
    }
  }

  start(): Promise<void> {
    return this.registry.start();
  }

  /** Opens the session's door, connectable by its uid only; returns the host path of its socket. */
  async openDoor(sessionId: string, uid: number, gid: number): Promise<string> {
    const door = new Door(path.join(this.config.socketDir, "doors", `${sessionId}.sock`), this.registry.socket, this.config, Date.now, this.pypi);
    await door.listen(uid, gid);
    this.doors.set(sessionId, door);
    return door.socket;
  }

  async closeDoor(sessionId: string): Promise<void> {
    const door = this.doors.get(sessionId);
    if (!door) return;
    this.doors.delete(sessionId);
    await door.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.doors.keys()].map((id) => this.closeDoor(id)));
    await this.registry.close();
  }
}

/** The registry URL package managers use inside a sandbox (gateway-link forwards it to the door). */
export const SANDBOX_REGISTRY_URL = `http://127.0.0.1:${GATEWAY_PORT_IN_SANDBOX}/`;

/**
 * The environment that points package managers inside a sandbox at the gateway, without the user
 * doing anything. Lockfiles made elsewhere install through it (any registry host in them is
 * replaced), and lockfiles made here name no sandbox-local address (no `resolved` for registry
 * packages), so they stay usable outside.
 */
export const GATEWAY_SANDBOX_ENV: Readonly<Record<string, string>> = Object.freeze({
  npm_config_registry: SANDBOX_REGISTRY_URL,
  npm_config_replace_registry_host: "always",
  npm_config_omit_lockfile_registry_resolved: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  YARN_REGISTRY: SANDBOX_REGISTRY_URL,
  YARN_NPM_REGISTRY_SERVER: SANDBOX_REGISTRY_URL.slice(0, -1),
  YARN_ENABLE_TELEMETRY: "0",
  // pip and uv: project pages and files through the door (refused there when no PyPI upstream is set).
  PIP_INDEX_URL: `${SANDBOX_REGISTRY_URL}pypi/simple/`,
  UV_INDEX_URL: `${SANDBOX_REGISTRY_URL}pypi/simple/`,
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
});

/**
 * A session sandbox without a door (no gateway configured, or it could not start): npm fails at
 * once (ENOTCACHED) instead of retrying an unreachable registry for a minute.
 */
export const NO_GATEWAY_SANDBOX_ENV: Readonly<Record<string, string>> = Object.freeze({
  npm_config_offline: "true",
  PIP_NO_INDEX: "1",
  UV_OFFLINE: "1",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
});
