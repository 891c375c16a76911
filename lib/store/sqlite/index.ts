import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Store } from "../types";
import { accountOps } from "./accounts";
import { aiEndpointOps } from "./ai-endpoints";
import { activityOps } from "./activity";
import { creditOps } from "./credits";
import { applyMigrations } from "./migrations";
import { projectOps } from "./projects";
import { rateLimitOps } from "./rate-limits";
import { runOps } from "./runs";
import { webhookOps } from "./webhooks";

/** How long a connection waits for another connection's write lock before failing. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating if needed) the SQLite store at `filePath` and brings its
 * schema up to date. `:memory:` gives a private in-memory database.
 */
export async function createSqliteStore(filePath: string): Promise<Store> {
  if (filePath !== ":memory:") mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  const db = new Database(filePath);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    applyMigrations(db);
  } catch (err) {
    db.close();
    throw err;
  }

  return {
    kind: "sqlite",
    ...accountOps(db),
    ...creditOps(db),
    ...projectOps(db),
    ...activityOps(db),
    ...runOps(db),
    ...webhookOps(db),
    ...rateLimitOps(db),
    ...aiEndpointOps(db),
    async close() {
      if (db.open) db.close();
    },
  };
}
