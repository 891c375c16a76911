import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { StoreError } from "../types";

export type Db = Database.Database;

export const newId = (): string => randomUUID();
export const now = (): number => Date.now();

/**
 * Runs `fn` as one BEGIN IMMEDIATE transaction: the write lock is taken
 * before the first read, so another connection to the same file waits
 * (busy_timeout) instead of acting on a stale read.
 */
export function immediate<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof Error &&
    "code" in err &&
    ((err as { code: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE" ||
      (err as { code: unknown }).code === "SQLITE_CONSTRAINT_PRIMARYKEY")
  );
}

export const notFound = (what: string): StoreError => new StoreError("not_found", `${what} not found.`);

/** Credits are whole numbers; amounts that must be positive are checked here. */
export function assertCredits(value: number, what: string, { allowZero = false } = {}): void {
  if (!Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw new StoreError(
      "invalid",
      `${what} must be a ${allowZero ? "non-negative" : "positive"} whole number of credits (got ${value}).`,
    );
  }
}

/** `SELECT 1` for (projectId, userId): the user owns the project and has not been deleted. */
export const LIVE_OWNED_PROJECT =
  "SELECT 1 FROM projects p JOIN users u ON u.id = p.user_id WHERE p.id = ? AND p.user_id = ? AND u.deleted_at IS NULL";
