import type { AiEndpointRecord, Store } from "../types";
import { immediate, newId, notFound, now, type Db } from "./db";

type AiEndpointOps = Pick<Store, "listAiEndpoints" | "getAiEndpoint" | "createAiEndpoint" | "updateAiEndpoint" | "deleteAiEndpoint">;

interface AiEndpointRow {
  id: string;
  user_id: string;
  name: string;
  base_url: string;
  ciphertext: string | null;
  last4: string | null;
  /** A JSON array of model ids. */
  models: string;
  created_at: number;
  updated_at: number;
}

const toRecord = (r: AiEndpointRow): AiEndpointRecord => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  baseUrl: r.base_url,
  ciphertext: r.ciphertext,
  last4: r.last4,
  models: JSON.parse(r.models) as string[],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function aiEndpointOps(db: Db): AiEndpointOps {
  const owned = db.prepare("SELECT * FROM ai_endpoints WHERE id = ? AND user_id = ?");
  const find = (userId: string, endpointId: string) => owned.get(endpointId, userId) as AiEndpointRow | undefined;

  return {
    async listAiEndpoints(userId) {
      const rows = db
        .prepare("SELECT * FROM ai_endpoints WHERE user_id = ? ORDER BY created_at, rowid")
        .all(userId) as AiEndpointRow[];
      return rows.map(toRecord);
    },

    async getAiEndpoint(userId, endpointId) {
      const row = find(userId, endpointId);
      return row ? toRecord(row) : null;
    },

    async createAiEndpoint(userId, input) {
      return immediate(db, () => {
        if (!db.prepare("SELECT 1 FROM users WHERE id = ? AND deleted_at IS NULL").get(userId)) throw notFound("User");
        const at = now();
        const row: AiEndpointRow = {
          id: newId(),
          user_id: userId,
          name: input.name,
          base_url: input.baseUrl,
          ciphertext: input.ciphertext,
          last4: input.last4,
          models: JSON.stringify(input.models),
          created_at: at,
          updated_at: at,
        };
        db.prepare(
          `INSERT INTO ai_endpoints (id, user_id, name, base_url, ciphertext, last4, models, created_at, updated_at)
           VALUES (@id, @user_id, @name, @base_url, @ciphertext, @last4, @models, @created_at, @updated_at)`,
        ).run(row);
        return toRecord(row);
      });
    },

    async updateAiEndpoint(userId, endpointId, patch) {
      return immediate(db, () => {
        const current = find(userId, endpointId);
        if (!current) throw notFound("AI endpoint");
        const next: AiEndpointRow = {
          ...current,
          name: patch.name ?? current.name,
          models: patch.models === undefined ? current.models : JSON.stringify(patch.models),
          updated_at: now(),
        };
        db.prepare("UPDATE ai_endpoints SET name = @name, models = @models, updated_at = @updated_at WHERE id = @id").run(next);
        return toRecord(next);
      });
    },

    async deleteAiEndpoint(userId, endpointId) {
      return db.prepare("DELETE FROM ai_endpoints WHERE id = ? AND user_id = ?").run(endpointId, userId).changes > 0;
    },
  };
}
