import { z } from "zod";
import type { WorkspaceQuota } from "../sandbox/quota-volume";
import { DEFAULT_MAX_BODY_BYTES } from "./server";

/** The HTTP service's settings, from the environment (the sandbox's own are in src/config.ts). */
export interface ServerConfig {
  port: number;
  host: string;
  /** Shared with the app; at least 32 characters. */
  secret: string;
  sessionIdleTtlMs: number;
  maxSessions: number;
  maxBodyBytes: number;
  /** Sessions get a door to the package gateway (README "Package gateway"); RUNNER_GATEWAY=off: none. */
  gateway: boolean;
  /** A session's app nobody reached for this long is stopped. */
  appIdleTtlMs: number;
  /** Each session's workspace is a volume of this size (sandbox/quota-volume.ts); RUNNER_WORKSPACE_QUOTA=off: none. */
  workspaceQuota: WorkspaceQuota | null;
}

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max));

const schema = z.object({
  PORT: integer(4100, 0, 65535),
  HOST: z
    .string()
    .optional()
    .transform((v) => v || "127.0.0.1"),
  RUNNER_SECRET: z
    .string({ error: "RUNNER_SECRET is required: the runner only accepts requests signed with it" })
    .min(32, "RUNNER_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)"),
  RUNNER_SESSION_TTL_SECONDS: integer(15 * 60, 1, 7 * 24 * 3600),
  RUNNER_MAX_SESSIONS: integer(32, 1, 10_000),
  RUNNER_MAX_BODY_BYTES: integer(DEFAULT_MAX_BODY_BYTES, 1024, 256 * 1024 * 1024),
  RUNNER_GATEWAY: z
    .enum(["on", "off", ""], { error: "RUNNER_GATEWAY must be on or off" })
    .optional()
    .transform((v) => v !== "off"),
  RUNNER_APP_IDLE_SECONDS: integer(600, 10, 7 * 24 * 3600),
  RUNNER_WORKSPACE_QUOTA: z
    .enum(["on", "off", ""], { error: "RUNNER_WORKSPACE_QUOTA must be on or off" })
    .optional()
    .transform((v) => v !== "off"),
  RUNNER_WORKSPACE_DISK_MB: integer(2048, 16, 1024 * 1024),
  RUNNER_WORKSPACE_INODES: integer(200_000, 1024, 100_000_000),
});

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid runner environment:\n  ${issues.join("\n  ")}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    secret: e.RUNNER_SECRET,
    sessionIdleTtlMs: e.RUNNER_SESSION_TTL_SECONDS * 1000,
    maxSessions: e.RUNNER_MAX_SESSIONS,
    maxBodyBytes: e.RUNNER_MAX_BODY_BYTES,
    gateway: e.RUNNER_GATEWAY,
    appIdleTtlMs: e.RUNNER_APP_IDLE_SECONDS * 1000,
    workspaceQuota: e.RUNNER_WORKSPACE_QUOTA
      ? { bytes: e.RUNNER_WORKSPACE_DISK_MB * 1024 * 1024, inodes: e.RUNNER_WORKSPACE_INODES }
      : null,
  };
}
