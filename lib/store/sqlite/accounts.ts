import { randomUUID } from "node:crypto";
import { StoreError, TRIAL_CREDITS, type ApiKeyRecord, type Plan, type Store, type User } from "../types";
import { applyLedgerEntry } from "./credits";
import { immediate, isUniqueViolation, newId, notFound, now, type Db } from "./db";
import { canonicalEmail, defaultNameFor } from "../rules";

type AccountOps = Pick<
  Store,
  | "ensureUser"
  | "getUser"
  | "getUserByExternalId"
  | "getUserByEmail"
  | "setUserPlan"
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
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  externalId: r.external_id,
  email: r.email,
  name: r.name,
  plan: r.plan,
  tokenBalance: r.token_balance,
  createdAt: r.created_at,
});


const emailTaken = () => new StoreError("conflict", "An account with this email already exists.");

export function accountOps(db: Db): AccountOps {
  const userById = db.prepare("SELECT * FROM users WHERE id = ?");
  const userByExternalId = db.prepare("SELECT * FROM users WHERE external_id = ?");
  const userByEmail = db.prepare("SELECT * FROM users WHERE email = ?");

  const findUser = (stmt: typeof userById, key: string): User | null => {
    const row = stmt.get(key) as UserRow | undefined;
    return row ? toUser(row) : null;
  };

  /** Inserts the user and the trial grant; must run inside a transaction. */
  function insertUser(externalId: string, email: string, name: string): User {
    if (userByEmail.get(email)) throw emailTaken();
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
    return findUser(userById, id)!;
  }

  return {
    async ensureUser(input) {
      if (!input.externalId) throw new StoreError("invalid", "externalId is required.");
      const email = canonicalEmail(input.email);
      return immediate(db, () => {
        const existing = findUser(userByExternalId, input.externalId);
        if (existing) return { user: existing, created: false };
        const name = input.name?.trim() || defaultNameFor(email);
        return { user: insertUser(input.externalId, email, name), created: true };
      });
    },

    async getUser(userId) {
      return findUser(userById, userId);
    },

    async getUserByExternalId(externalId) {
      return findUser(userByExternalId, externalId);
    },

    async getUserByEmail(email) {
      return findUser(userByEmail, String(email ?? "").trim().toLowerCase());
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
        const user = insertUser(`local:${randomUUID()}`, email, input.name?.trim() || defaultNameFor(email));
        db.prepare("INSERT INTO credentials (user_id, password_hash) VALUES (?, ?)").run(user.id, input.passwordHash);
        return user;
      });
    },

    async getLocalCredentials(email) {
      const row = db
        .prepare(
          `SELECT c.user_id, c.password_hash FROM credentials c JOIN users u ON u.id = c.user_id
           WHERE u.email = ?`,
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
      const row = db.prepare("SELECT user_id, expires_at FROM sessions WHERE token_hash = ?").get(tokenHash) as
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
