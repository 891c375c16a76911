import { StoreError, type Store, type SubscriptionChange, type WebhookRecordResult } from "../types";
import { grant } from "./credits";
import { ensureUserIn, softDeleteIn, updateProfileIn } from "./accounts";
import { immediate, now, type Db } from "./db";
import { lookupEmail } from "../rules";
import { applySubscriptionObservation } from "./subscriptions";

export function webhookOps(db: Db): Pick<Store, "recordWebhookEvent"> {
  return {
    async recordWebhookEvent(source, eventId, effects = {}) {
      if (!eventId) throw new StoreError("invalid", "A webhook event needs an id.");
      return immediate(db, (): WebhookRecordResult => {
        const inserted = db
          .prepare(
            `INSERT INTO webhook_events (source, event_id, processed_at) VALUES (?, ?, ?)
             ON CONFLICT (source, event_id) DO NOTHING`,
          )
          .run(source, eventId, now());
        if (inserted.changes === 0) return { kind: "duplicate" };
        if (effects.createUser) {
          const input = effects.createUser;
          const known = db.prepare("SELECT 1 FROM users WHERE external_id = ?").get(input.externalId);
          const emailHeld = db.prepare("SELECT 1 FROM users WHERE email = ?").get(lookupEmail(input.email));
          if (!known && !emailHeld) ensureUserIn(db, input);
        }
        if (effects.profile) {
          const { externalId, ...update } = effects.profile;
          updateProfileIn(db, externalId, update, { emailTaken: "keep" });
        }
        if (effects.softDelete) softDeleteIn(db, effects.softDelete.externalId);
        let granted = 0;
        if (effects.grant) {
          const g = effects.grant;
          if (grant(db, g.userId, g.amount, g.reason, g.idempotencyKey).applied) granted = g.amount;
        }
        let subscription: SubscriptionChange | null = null;
        if (effects.subscription) subscription = applySubscriptionObservation(db, effects.subscription);
        return { kind: "first", granted, subscription };
      });
    },
  };
}
