import {
  StoreError,
  type ChargeResult,
  type GrantResult,
  type LedgerEntry,
  type LedgerReason,
  type Reservation,
  type ReserveResult,
  type SettleResult,
  type Store,
} from "../types";
import { assertCredits, immediate, newId, notFound, now, type Db } from "./db";
import { currentSubscription } from "./subscriptions";

type CreditOps = Pick<
  Store,
  | "getBalance"
  | "grantCredits"
  | "reserveCredits"
  | "chargeReservation"
  | "settleReservation"
  | "getReservation"
  | "listLedger"
  | "getSubscription"
>;

interface ReservationRow {
  id: string;
  user_id: string;
  amount: number;
  spent: number;
  status: "open" | "settled";
  idempotency_key: string;
  created_at: number;
  settled_at: number | null;
}

const toReservation = (r: ReservationRow): Reservation => ({
  id: r.id,
  userId: r.user_id,
  amount: r.amount,
  spent: r.spent,
  status: r.status,
  idempotencyKey: r.idempotency_key,
  createdAt: r.created_at,
  settledAt: r.settled_at,
});

/** The cached balance; throws not_found for an unknown user. Call inside a transaction when it guards a write. */
export function balanceOf(db: Db, userId: string): number {
  const row = db.prepare("SELECT token_balance FROM users WHERE id = ?").get(userId) as
    | { token_balance: number }
    | undefined;
  if (!row) throw notFound("User");
  return row.token_balance;
}

/**
 * Writes one ledger entry and moves the cached balance with it. Must run
 * inside a transaction. Returns false (and writes nothing) when the
 * idempotency key was already used.
 */
export function applyLedgerEntry(
  db: Db,
  userId: string,
  delta: number,
  reason: LedgerReason,
  idempotencyKey: string,
): boolean {
  const inserted = db
    .prepare(
      `INSERT INTO ledger (id, user_id, delta, reason, idempotency_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
    )
    .run(newId(), userId, delta, reason, idempotencyKey, now());
  if (inserted.changes === 0) return false;
  db.prepare("UPDATE users SET token_balance = token_balance + ? WHERE id = ?").run(delta, userId);
  return true;
}

export function grant(db: Db, userId: string, amount: number, reason: LedgerReason, key: string): GrantResult {
  assertCredits(amount, "A grant");
  if (!key) throw new StoreError("invalid", "A grant needs an idempotency key.");
  balanceOf(db, userId);
  const applied = applyLedgerEntry(db, userId, amount, reason, key);
  return { applied, balance: balanceOf(db, userId) };
}

export function creditOps(db: Db): CreditOps {
  const reservationById = db.prepare("SELECT * FROM reservations WHERE id = ?");

  function loadReservation(id: string): ReservationRow {
    const row = reservationById.get(id) as ReservationRow | undefined;
    if (!row) throw notFound("Reservation");
    return row;
  }

  return {
    async getBalance(userId) {
      return balanceOf(db, userId);
    },

    async grantCredits(userId, amount, reason, idempotencyKey) {
      return immediate(db, () => grant(db, userId, amount, reason, idempotencyKey));
    },

    async reserveCredits(userId, amount, idempotencyKey): Promise<ReserveResult> {
      assertCredits(amount, "A reservation");
      if (!idempotencyKey) throw new StoreError("invalid", "A reservation needs an idempotency key.");
      return immediate(db, () => {
        const available = balanceOf(db, userId);
        const existing = db
          .prepare("SELECT * FROM reservations WHERE user_id = ? AND idempotency_key = ?")
          .get(userId, idempotencyKey) as ReservationRow | undefined;
        if (existing) return { ok: true, reservation: toReservation(existing), balance: available };
        if (available < amount) return { ok: false, reason: "insufficient", required: amount, available };

        const id = newId();
        db.prepare(
          `INSERT INTO reservations (id, user_id, amount, spent, status, idempotency_key, created_at)
           VALUES (?, ?, ?, 0, 'open', ?, ?)`,
        ).run(id, userId, amount, idempotencyKey, now());
        applyLedgerEntry(db, userId, -amount, "generation", `reserve:${id}`);
        return { ok: true, reservation: toReservation(loadReservation(id)), balance: balanceOf(db, userId) };
      });
    },

    async chargeReservation(reservationId, credits): Promise<ChargeResult> {
      assertCredits(credits, "A charge", { allowZero: true });
      return immediate(db, () => {
        const r = loadReservation(reservationId);
        if (r.status !== "open") throw new StoreError("conflict", "This reservation is already settled.");
        const before = r.amount - r.spent;
        const charged = Math.min(credits, before);
        const spent = r.spent + charged;
        db.prepare("UPDATE reservations SET spent = ? WHERE id = ?").run(spent, reservationId);
        return { charged, spent, remaining: r.amount - spent, exhausted: credits > before };
      });
    },

    async settleReservation(reservationId): Promise<SettleResult> {
      return immediate(db, () => {
        const r = loadReservation(reservationId);
        const refunded = r.amount - r.spent;
        if (r.status === "open") {
          if (refunded > 0) applyLedgerEntry(db, r.user_id, refunded, "refund", `refund:${r.id}`);
          db.prepare("UPDATE reservations SET status = 'settled', settled_at = ? WHERE id = ?").run(now(), r.id);
        }
        return {
          refunded,
          balance: balanceOf(db, r.user_id),
          reservation: toReservation(loadReservation(r.id)),
        };
      });
    },

    async getReservation(reservationId) {
      const row = reservationById.get(reservationId) as ReservationRow | undefined;
      return row ? toReservation(row) : null;
    },

    async listLedger(userId, limit = 100): Promise<LedgerEntry[]> {
      const rows = db
        .prepare("SELECT * FROM ledger WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
        .all(userId, limit) as {
        id: string;
        user_id: string;
        delta: number;
        reason: LedgerReason;
        idempotency_key: string;
        created_at: number;
      }[];
      return rows.map((r) => ({
        id: r.id,
        userId: r.user_id,
        delta: r.delta,
        reason: r.reason,
        idempotencyKey: r.idempotency_key,
        createdAt: r.created_at,
      }));
    },

    async getSubscription(userId) {
      return currentSubscription(db, userId);
    },
  };
}
