import { StoreError } from "./types";

/**
 * Input rules both store adapters enforce. Runtime-neutral (no Node APIs):
 * the Convex functions import it too.
 */

export const MAX_PROJECT_NAME_LENGTH = 100;
const MAX_EMAIL_LENGTH = 320;

/** Emails are stored and compared lowercase. */
export function canonicalEmail(email: string): string {
  const e = lookupEmail(email);
  if (!e.includes("@") || e.length > MAX_EMAIL_LENGTH) {
    throw new StoreError("invalid", "A valid email address is required.");
  }
  return e;
}

/** The form an email is looked up by (no validation: an unknown email simply finds nothing). */
export const lookupEmail = (email: string): string => String(email ?? "").trim().toLowerCase();

/** The name a user gets when none was given: the email's local part. */
export const defaultNameFor = (email: string): string => email.slice(0, email.indexOf("@"));

export function projectName(name: unknown): string {
  const trimmed = typeof name === "string" ? name.trim() : "";
  if (!trimmed) throw new StoreError("invalid", "Project name is required.");
  if (trimmed.length > MAX_PROJECT_NAME_LENGTH) {
    throw new StoreError("invalid", `Project name must be at most ${MAX_PROJECT_NAME_LENGTH} characters.`);
  }
  return trimmed;
}

/** deleteProject's "conflict" while one of the project's runs is still running. */
export const PROJECT_RUN_STILL_RUNNING =
  "A generation or change is still running on this project: cancel it before deleting the project.";

/**
 * The email a deleted user's row keeps: unique per user and never a real
 * address (`.invalid` is reserved), so the real one can sign up again.
 */
export const deletedEmailFor = (userId: string): string => `deleted+${userId}@deleted.invalid`;
