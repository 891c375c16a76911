import { Webhook } from "svix";
import { z } from "zod";
import { lookupEmail } from "@/lib/store/rules";
import type { Store, WebhookEffects } from "@/lib/store/types";
import { readBoundedText } from "@/lib/http/bounded-body";

/**
 * Clerk's user webhooks (delivered by Svix): bounded raw body → signature
 * check over the exact bytes (svix also refuses timestamps more than 5
 * minutes off) → the event's effect, recorded once under its svix-id through
 * Store.recordWebhookEvent, so a redelivery changes nothing.
 *
 * - user.created → the user with the trial grant, unless the Clerk id is
 *   already known (first sign-in got there first: same user, one trial) or
 *   the email belongs to another account (a local account or an earlier
 *   Clerk user): then nothing is created or granted and the answer is
 *   200 {applied: false, linked: false, reason: "email_in_use"}. Accounts
 *   are never linked by email: that would hand an existing account to
 *   whoever controls the new Clerk user.
 * - user.updated → primary email and name (an email another account holds
 *   is left unchanged: reason "email_in_use").
 * - user.deleted → soft delete: no more sign-in, projects gone for everyone.
 * - anything else → 200 {ignored: true}.
 *
 * Takes the Store so the same path runs over SQLite (the route) and Convex (tests).
 * Runtime-neutral: no Node-only APIs.
 */

/** Clerk's user events are a few KB; anything near this is not from Clerk. */
export const MAX_CLERK_WEBHOOK_BYTES = 1024 * 1024;

export interface ClerkWebhookOptions {
  /** CLERK_WEBHOOK_SECRET (`whsec_…`); undefined → 503. */
  secret: string | undefined;
}

const emailAddress = z.object({ id: z.string(), email_address: z.string() });

const userData = z.object({
  id: z.string().min(1),
  email_addresses: z.array(emailAddress).optional().default([]),
  primary_email_address_id: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  username: z.string().nullish(),
});

const event = z.object({
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
});

type UserData = z.infer<typeof userData>;

type Outcome =
  | { kind: "ignored" }
  | { kind: "duplicate" }
  | { kind: "applied" }
  | { kind: "recorded"; reason: "already_exists" | "email_in_use" | "unknown_user" | "no_email" };

function json(status: number, body: Record<string, unknown>): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}

const error = (status: number, code: string, message: string) => json(status, { error: code, message });

/** The primary email address, else the first one; undefined when the user has none. */
export function primaryEmail(data: UserData): string | undefined {
  const primary = data.email_addresses.find((e) => e.id === data.primary_email_address_id);
  const address = (primary ?? data.email_addresses[0])?.email_address;
  return address ? lookupEmail(address) : undefined;
}

export function displayName(data: UserData): string | undefined {
  const full = [data.first_name, data.last_name].filter((p) => p && p.trim()).join(" ").trim();
  return full || data.username?.trim() || undefined;
}

export async function processClerkWebhook(store: Store, request: Request, { secret }: ClerkWebhookOptions): Promise<Response> {
  if (!secret) {
    return error(503, "webhooks_disabled", "Clerk webhooks are not configured on this server (CLERK_WEBHOOK_SECRET is not set).");
  }
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch {
    return error(503, "webhooks_misconfigured", "CLERK_WEBHOOK_SECRET is not a valid Svix signing secret (whsec_…).");
  }

  const raw = await readBoundedText(request, MAX_CLERK_WEBHOOK_BYTES);
  if (raw === undefined) {
    return error(413, "payload_too_large", `Webhook bodies larger than ${MAX_CLERK_WEBHOOK_BYTES} bytes are refused.`);
  }
  const svixId = request.headers.get("svix-id") ?? "";
  try {
    webhook.verify(raw, {
      "svix-id": svixId,
      "svix-timestamp": request.headers.get("svix-timestamp") ?? "",
      "svix-signature": request.headers.get("svix-signature") ?? "",
    });
  } catch (err) {
    const detail = err instanceof Error ? err.message : "verification failed";
    return error(400, "invalid_signature", `The webhook signature did not verify: ${detail}`);
  }

  let parsed: z.infer<typeof event>;
  try {
    parsed = event.parse(JSON.parse(raw));
  } catch {
    return error(400, "invalid_payload", "The webhook body is not a Clerk event.");
  }

  let outcome: Outcome;
  try {
    outcome = await handleClerkEvent(store, svixId, parsed.type, parsed.data);
  } catch (err) {
    if (err instanceof z.ZodError) {
      return error(400, "invalid_payload", `The ${parsed.type} event does not carry a Clerk user.`);
    }
    throw err;
  }
  const base = { received: true, type: parsed.type };
  switch (outcome.kind) {
    case "ignored":
      return json(200, { ...base, ignored: true });
    case "duplicate":
      return json(200, { ...base, duplicate: true });
    case "applied":
      return json(200, { ...base, applied: true });
    case "recorded":
      return json(200, {
        ...base,
        applied: false,
        reason: outcome.reason,
        ...(outcome.reason === "email_in_use" && parsed.type === "user.created" ? { linked: false } : {}),
      });
  }
}

/** Applies one verified event once (by its svix id). */
export async function handleClerkEvent(store: Store, eventId: string, type: string, data: unknown): Promise<Outcome> {
  switch (type) {
    case "user.created":
      return userCreated(store, eventId, userData.parse(data));
    case "user.updated":
      return userUpdated(store, eventId, userData.parse(data));
    case "user.deleted":
      return userDeleted(store, eventId, z.object({ id: z.string().min(1) }).parse(data).id);
    default:
      return { kind: "ignored" };
  }
}

async function record(store: Store, eventId: string, effects: WebhookEffects): Promise<boolean> {
  return (await store.recordWebhookEvent("clerk", eventId, effects)).kind === "first";
}

async function userCreated(store: Store, eventId: string, data: UserData): Promise<Outcome> {
  const email = primaryEmail(data);
  if (!email || !email.includes("@")) {
    // Nothing to create yet: the first sign-in creates the user from Clerk's API.
    return (await record(store, eventId, {})) ? { kind: "recorded", reason: "no_email" } : { kind: "duplicate" };
  }
  const knownBefore = await store.getUserByExternalId(data.id);
  const createUser = { externalId: data.id, email, name: displayName(data) };
  if (!(await record(store, eventId, { createUser }))) return { kind: "duplicate" };
  if (knownBefore) return { kind: "recorded", reason: "already_exists" };
  // Created by this event, or by a sign-in racing it: either way one user, one trial.
  if (await store.getUserByExternalId(data.id)) return { kind: "applied" };
  return { kind: "recorded", reason: "email_in_use" };
}

async function userUpdated(store: Store, eventId: string, data: UserData): Promise<Outcome> {
  const user = await store.getUserByExternalId(data.id);
  const email = primaryEmail(data);
  const profile = { externalId: data.id, email: email?.includes("@") ? email : undefined, name: displayName(data) };
  if (!(await record(store, eventId, { profile }))) return { kind: "duplicate" };
  if (!user || user.deletedAt) return { kind: "recorded", reason: "unknown_user" };
  if (profile.email && (await store.getUserByExternalId(data.id))?.email !== profile.email) {
    return { kind: "recorded", reason: "email_in_use" };
  }
  return { kind: "applied" };
}

async function userDeleted(store: Store, eventId: string, externalId: string): Promise<Outcome> {
  const user = await store.getUserByExternalId(externalId);
  if (!(await record(store, eventId, { softDelete: { externalId } }))) return { kind: "duplicate" };
  return user && !user.deletedAt ? { kind: "applied" } : { kind: "recorded", reason: "unknown_user" };
}
