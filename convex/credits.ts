import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import type { QueryCtx } from "./_generated/server";
import type { ChargeResult, ReserveResult, SettleResult } from "../lib/store/types";
import { serverMutation, serverQuery } from "./lib/functions";
import { assertCredits, requireUser } from "./lib/access";
import { storeError } from "./lib/errors";
import { applyLedgerEntry, balanceOf } from "./lib/ledger";
import { toLedgerEntry, toReservation } from "./lib/records";
import { ledgerReason } from "./lib/validators";

async function requireReservation(ctx: QueryCtx, reservationId: string): Promise<Doc<"reservations">> {
  const id = ctx.db.normalizeId("reservations", reservationId);
  const reservation = id ? await ctx.db.get("reservations", id) : null;
  if (!reservation) throw storeError("not_found", "Reservation not found.");
  return reservation;
}

export const getBalance = serverQuery({
  args: { userId: v.string() },
  handler: async (ctx, { userId }) => (await requireUser(ctx, userId)).tokenBalance,
});

export const grant = serverMutation({
  args: { userId: v.string(), amount: v.number(), reason: ledgerReason, idempotencyKey: v.string() },
  handler: async (ctx, args) => {
    assertCredits(args.amount, "A grant");
    if (!args.idempotencyKey) throw storeError("invalid", "A grant needs an idempotency key.");
    const user = await requireUser(ctx, args.userId);
    const applied = await applyLedgerEntry(ctx, user._id, args.amount, args.reason, args.idempotencyKey);
    return { applied, balance: await balanceOf(ctx, user._id) };
  },
});

export const reserve = serverMutation({
  args: { userId: v.string(), amount: v.number(), idempotencyKey: v.string() },
  handler: async (ctx, args): Promise<ReserveResult> => {
    assertCredits(args.amount, "A reservation");
    if (!args.idempotencyKey) throw storeError("invalid", "A reservation needs an idempotency key.");
    const user = await requireUser(ctx, args.userId);
    const existing = await ctx.db
      .query("reservations")
      .withIndex("by_userId_idempotencyKey", (q) =>
        q.eq("userId", user._id).eq("idempotencyKey", args.idempotencyKey),
      )
      .first();
    if (existing) return { ok: true, reservation: toReservation(existing), balance: user.tokenBalance };
    if (user.tokenBalance < args.amount) {
      return { ok: false, reason: "insufficient", required: args.amount, available: user.tokenBalance };
    }
    const id = await ctx.db.insert("reservations", {
      userId: user._id,
      amount: args.amount,
      spent: 0,
      status: "open",
      idempotencyKey: args.idempotencyKey,
      createdAt: Date.now(),
      settledAt: null,
    });
    await applyLedgerEntry(ctx, user._id, -args.amount, "generation", `reserve:${id}`);
    const reservation = (await ctx.db.get("reservations", id))!;
    return { ok: true, reservation: toReservation(reservation), balance: await balanceOf(ctx, user._id) };
  },
});

export const charge = serverMutation({
  args: { reservationId: v.string(), credits: v.number() },
  handler: async (ctx, args): Promise<ChargeResult> => {
    assertCredits(args.credits, "A charge", { allowZero: true });
    const r = await requireReservation(ctx, args.reservationId);
    if (r.status !== "open") throw storeError("conflict", "This reservation is already settled.");
    const before = r.amount - r.spent;
    const charged = Math.min(args.credits, before);
    const spent = r.spent + charged;
    await ctx.db.patch("reservations", r._id, { spent });
    return { charged, spent, remaining: r.amount - spent, exhausted: args.credits > before };
  },
});

export const settle = serverMutation({
  args: { reservationId: v.string() },
  handler: async (ctx, args): Promise<SettleResult> => {
    const r = await requireReservation(ctx, args.reservationId);
    const refunded = r.amount - r.spent;
    if (r.status === "open") {
      if (refunded > 0) await applyLedgerEntry(ctx, r.userId, refunded, "refund", `refund:${r._id}`);
      await ctx.db.patch("reservations", r._id, { status: "settled", settledAt: Date.now() });
    }
    const settled = (await ctx.db.get("reservations", r._id))!;
    return { refunded, balance: await balanceOf(ctx, r.userId), reservation: toReservation(settled) };
  },
});

export const getReservation = serverQuery({
  args: { reservationId: v.string() },
  handler: async (ctx, { reservationId }) => {
    const id = ctx.db.normalizeId("reservations", reservationId);
    const reservation = id ? await ctx.db.get("reservations", id) : null;
    return reservation ? toReservation(reservation) : null;
  },
});

export const listLedger = serverQuery({
  args: { userId: v.string(), limit: v.number() },
  handler: async (ctx, args) => {
    const userId = ctx.db.normalizeId("users", args.userId);
    if (!userId) return [];
    const entries = await ctx.db
      .query("ledger")
      .withIndex("by_userId", (q) => q.eq("userId", userId))
      .order("desc")
      .take(Math.max(0, Math.floor(args.limit)));
    return entries.map(toLedgerEntry);
  },
});
