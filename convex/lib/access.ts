import type { Doc } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { storeError } from "./errors";

/**
 * Lookups by the opaque string ids the Store hands out. An id that is not a
 * valid id of the table behaves like one that does not exist.
 */

export async function findUser(ctx: QueryCtx, userId: string): Promise<Doc<"users"> | null> {
  const id = ctx.db.normalizeId("users", userId);
  return id ? ctx.db.get("users", id) : null;
}

export async function requireUser(ctx: QueryCtx, userId: string): Promise<Doc<"users">> {
  const user = await findUser(ctx, userId);
  if (!user) throw storeError("not_found", "User not found.");
  return user;
}

/**
 * The project if `userId` owns it and neither it nor its owner has been
 * deleted; someone else's project, a deleted one (being purged) or a deleted
 * user's is indistinguishable from a missing one.
 */
export async function findOwnedProject(
  ctx: QueryCtx,
  userId: string,
  projectId: string,
): Promise<Doc<"projects"> | null> {
  const id = ctx.db.normalizeId("projects", projectId);
  const project = id ? await ctx.db.get("projects", id) : null;
  if (!project || project.userId !== userId || project.deletedAt !== undefined) return null;
  const owner = await ctx.db.get("users", project.userId);
  return owner && owner.deletedAt === undefined ? project : null;
}

export async function requireOwnedProject(ctx: QueryCtx, userId: string, projectId: string): Promise<Doc<"projects">> {
  const project = await findOwnedProject(ctx, userId, projectId);
  if (!project) throw storeError("not_found", "Project not found.");
  return project;
}

/** Credits are whole numbers. */
export function assertCredits(value: number, what: string, { allowZero = false } = {}): void {
  if (!Number.isSafeInteger(value) || value < 0 || (!allowZero && value === 0)) {
    throw storeError(
      "invalid",
      `${what} must be a ${allowZero ? "non-negative" : "positive"} whole number of credits (got ${value}).`,
    );
  }
}
