import { randomUUID } from "node:crypto";
import {
  StoreError,
  TRIAL_CREDITS,
  type ApiKeyRecord,
  type EnsureUserInput,
  type Plan,
  type Store,
  type User,
  type UserProfileUpdate,
} from "../types";
import { applyLedgerEntry } from "./credits";
import { immediate, isUniqueViolation, newId, notFound, now, type Db } from "./db";
import { canonicalEmail, defaultNameFor, deletedEmailFor, lookupEmail } from "../rules";

type AccountOps = Pick<
  Store,
  | "ensureUser"
  | "getUser"
  | "getUserByExternalId"
  | "getUserByEmail"
  | "setUserPlan"
  | "updateUserProfile"
  | "softDeleteUser"
  | "saveApiKey"
  | "listApiKeys"
  | "deleteApiKey"
  | "createLocalAccount"
  | "getLocalCredentials"
  | "createSession"
  | "getSession"
  | "deleteSession"
>;

interface UserRow {
  id: string;
  external_id: string;
  email: string;
  name: string;
  plan: Plan;
  token_balance: number;
  created_at: number;
  deleted_at: number | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  externalId: r.external_id,
  email: r.email,
  name: r.name,
  plan: r.plan,
  tokenBalance: r.token_balance,
  createdAt: r.created_at,
  deletedAt: r.deleted_at,
});

const emailTaken = () => new StoreError("conflict", "An account with this email already exists.");

function findUser(db: Db, column: "id" | "external_id" | "email", key: string): User | null {
  const row = db.prepare(`SELECT * FROM users WHERE ${column} = ?`).get(key) as UserRow | undefined;
  return row ? toUser(row) : null;
}

/** Inserts the user and the trial grant; must run inside a transaction. A taken email is a conflict. */
function insertUser(db: Db, externalId: string, email: string, name: string): User {
  if (findUser(db, "email", email)) throw emailTaken();
  const id = newId();
  try {
    db.prepare(
      `INSERT INTO users (id, external_id, email, name, plan, token_balance, created_at)
       VALUES (?, ?, ?, ?, 'free', 0, ?)`,
    ).run(id, externalId, email, name, now());
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken();
    throw err;
  }
  applyLedgerEntry(db, id, TRIAL_CREDITS, "trial", `trial:${id}`);
  return findUser(db, "id", id)!;
}

/** ensureUser's body; must run inside a transaction. */
export function ensureUserIn(db: Db, input: EnsureUserInput): { user: User; created: boolean } {
  if (!input.externalId) throw new StoreError("invalid", "externalId is required.");
  const email = canonicalEmail(input.email);
  const existing = findUser(db, "external_id", input.externalId);
  if (existing) return { user: existing, created: false };
  const name = input.name?.trim() || defaultNameFor(email);
  return { user: insertUser(db, input.externalId, email, name), created: true };
}

/**
 * updateUserProfile's body; must run inside a transaction. With
 * `emailTaken: "keep"` an email another user holds leaves the email as it is
 * instead of failing (webhook effects must not fail on it).
 */
export function updateProfileIn(
  db: Db,
  externalId: string,
  update: UserProfileUpdate,
  { emailTaken: onTaken = "conflict" }: { emailTaken?: "conflict" | "keep" } = {},
): User | null {
  const user = findUser(db, "external_id", externalId);
  if (!user || user.deletedAt) return null;
  let email = user.email;
  if (update.email !== undefined) {
    const wanted = canonicalEmail(update.email);
    const holder = findUser(db, "email", wanted);
    if (!holder || holder.id === user.id) email = wanted;
    else if (onTaken === "conflict") throw emailTaken();
  }
  const name = update.name?.trim() || user.name;
  db.prepare("UPDATE users SET email = ?, name = ? WHERE id = ?").run(email, name, user.id);
  return findUser(db, "id", user.id);
}

/** softDeleteUser's body; must run inside a transaction. */
export function softDeleteIn(db: Db, externalId: string): boolean {
  const user = findUser(db, "external_id", externalId);
  if (!user || user.deletedAt) return false;
  db.prepare("UPDATE users SET deleted_at = ?, email = ? WHERE id = ?").run(now(), deletedEmailFor(user.id), user.id);
  db.prepare("DELETE FROM sessions WHERE user_id = ?").run(user.id);
  db.prepare("DELETE FROM ai_endpoints WHERE user_id = ?").run(user.id);
  return true;
}

export function accountOps(db: Db): AccountOps {
  const userById = db.prepare("SELECT * FROM users WHERE id = ?");

  return {
    async ensureUser(input) {
      if (!input.externalId) throw new StoreError("invalid", "externalId is required.");
      canonicalEmail(input.email);
      return immediate(db, () => ensureUserIn(db, input));
    },

    async getUser(userId) {
      return findUser(db, "id", userId);
    },

    async getUserByExternalId(externalId) {
      return findUser(db, "external_id", externalId);
    },

    async getUserByEmail(email) {
      return findUser(db, "email", lookupEmail(email));
    },

    async updateUserProfile(externalId, update) {
      if (update.email !== undefined) canonicalEmail(update.email);
      return immediate(db, () => updateProfileIn(db, externalId, update));
    },

    async softDeleteUser(externalId) {
      return immediate(db, () => softDeleteIn(db, externalId));
    },

    async setUserPlan(userId, plan) {
      const result = db.prepare("UPDATE users SET plan = ? WHERE id = ?").run(plan, userId);
      if (result.changes === 0) throw notFound("User");
    },

    async saveApiKey(userId, provider, ciphertext, last4): Promise<ApiKeyRecord> {
      if (!provider) throw new StoreError("invalid", "provider is required.");
      return immediate(db, () => {
        if (!userById.get(userId)) throw notFound("User");
        const createdAt = now();
        db.prepare(
          `INSERT INTO api_keys (user_id, provider, ciphertext, last4, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id, provider) DO UPDATE SET
             ciphertext = excluded.ciphertext, last4 = excluded.last4, created_at = excluded.created_at`,
        ).run(userId, provider, ciphertext, last4, createdAt);
        return { userId, provider, ciphertext, last4, createdAt };
      });
    },

    async listApiKeys(userId) {
      const rows = db
        .prepare("SELECT * FROM api_keys WHERE user_id = ? ORDER BY provider")
        .all(userId) as { user_id: string; provider: string; ciphertext: string; last4: string; created_at: number }[];
      return rows.map((r) => ({
        userId: r.user_id,
        provider: r.provider,
        ciphertext: r.ciphertext,
        last4: r.last4,
        createdAt: r.created_at,
      }));
    },

    async deleteApiKey(userId, provider) {
      return db.prepare("DELETE FROM api_keys WHERE user_id = ? AND provider = ?").run(userId, provider).changes > 0;
    },

    async createLocalAccount(input) {
      const email = canonicalEmail(input.email);
      if (!input.passwordHash) throw new StoreError("invalid", "passwordHash is required.");
      return immediate(db, () => {
        const user = insertUser(db, `local:${randomUUID()}`, email, input.name?.trim() || defaultNameFor(email));
        db.prepare("INSERT INTO credentials (user_id, password_hash) VALUES (?, ?)").run(user.id, input.passwordHash);
        return user;
      });
    },

    async getLocalCredentials(email) {
      const row = db
        .prepare(
          `SELECT c.user_id, c.password_hash FROM credentials c JOIN users u ON u.id = c.user_id
           WHERE u.email = ? AND u.deleted_at IS NULL`,
        )
        .get(String(email ?? "").trim().toLowerCase()) as { user_id: string; password_hash: string } | undefined;
      return row ? { userId: row.user_id, passwordHash: row.password_hash } : null;
    },

    async createSession(tokenHash, userId, expiresAt) {
      if (!userById.get(userId)) throw notFound("User");
      db.prepare("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)").run(
        tokenHash,
        userId,
        expiresAt,
      );
    },

    async getSession(tokenHash) {
      const row = db
        .prepare(
          `SELECT s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = ? AND u.deleted_at IS NULL`,
        )
        .get(tokenHash) as
        | { user_id: string; expires_at: number }
        | undefined;
      if (!row) return null;
      if (row.expires_at <= now()) {
        db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(tokenHash);
        return null;
      }
      return { userId: row.user_id, expiresAt: row.expires_at };
    },

    async deleteSession(tokenHash) {
      db.prepare("DELETE FROM sessions WHERE token_hash = ?").run(tokenHash);
    },
  };
}
