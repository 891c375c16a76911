import { log } from "@/lib/log";
import { createHash } from "node:crypto";
import type { AppPlan } from "@/lib/preview/app-plan";
import { getStore } from "@/lib/store";
import type { Id } from "@/lib/store/types";
import { RunnerRequestError, type RunnerClient } from "./client";
import { runnerClient } from "./index";

/**
 * One runner session per (user, project): the terminal and the build preview
 * share it, so what the user builds in one is what the other sees. The
 * registry is per server process (on globalThis, so every route bundle sees
 * the same one); when the runner lost a session (restart, idle TTL) it is
 * created again and the project's files are written afresh.
 */

interface ProjectSession {
  sessionId: string;
  /**
   * Path → sha256 of the content last written from the project: only what changed since is written
   * again (a running dev server then reloads only that), and files deleted since are removed.
   */
  written: Map<string, string>;
  /** The output folder of the last successful `npm run build`, null before one. */
  buildOutput: string | null;
  /** How the live preview's app was started (lib/preview/app-plan), null when none was. */
  app: AppPlan | null;
}

interface Registry {
  sessions: Map<string, ProjectSession>;
  /** In-flight creations, so concurrent requests share one session. */
  creating: Map<string, Promise<ProjectSession>>;
}

const REGISTRY = Symbol.for("autocrea.projectSessions");

function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [REGISTRY]?: Registry };
  holder[REGISTRY] ??= { sessions: new Map(), creating: new Map() };
  return holder[REGISTRY];
}

const keyOf = (userId: Id, projectId: Id) => `${userId}\u0000${projectId}`;

async function createSession(client: RunnerClient, userId: Id, projectId: Id): Promise<ProjectSession> {
  const { sessions, creating } = registry();
  const key = keyOf(userId, projectId);
  const pending = creating.get(key);
  if (pending) return pending;
  const created = (async () => {
    const { id } = await client.createSession({ userId });
    const session: ProjectSession = { sessionId: id, written: new Map(), buildOutput: null, app: null };
    sessions.set(key, session);
    return session;
  })();
  creating.set(key, created);
  try {
    return await created;
  } finally {
    creating.delete(key);
  }
}

/** The runner no longer has the session (restarted, or the idle TTL removed it). */
export const isLostSession = (err: unknown) =>
  err instanceof RunnerRequestError && err.runnerStatus === 404 && /session not found/i.test(err.message);

/**
 * Runs `action` with the project's session, creating it if needed. If the
 * runner no longer knows the session, it is replaced once and `action` retried.
 */
export async function withProjectSession<T>(
  userId: Id,
  projectId: Id,
  action: (session: ProjectSession, client: RunnerClient) => Promise<T>,
  client: RunnerClient = runnerClient(),
): Promise<T> {
  const { sessions } = registry();
  const key = keyOf(userId, projectId);
  const existing = sessions.get(key);
  const session = existing ?? (await createSession(client, userId, projectId));
  try {
    return await action(session, client);
  } catch (err) {
    if (!existing || !isLostSession(err)) throw err;
    if (sessions.get(key) === existing) sessions.delete(key);
    const fresh = await createSession(client, userId, projectId);
    return action(fresh, client);
  }
}

/**
 * Writes the project's stored files that changed since the last sync into the session, and removes
 * the ones deleted since. `changed` lists the paths written or removed.
 */
export async function syncProjectFiles(
  session: ProjectSession,
  client: RunnerClient,
  userId: Id,
  projectId: Id,
): Promise<{ written: number; deleted: number; changed: string[] }> {
  const store = await getStore();
  const files = await store.listFiles(userId, projectId);
  const hashes = new Map(files.map((f) => [f.path, createHash("sha256").update(f.content).digest("hex")]));
  const changedFiles = files.filter((f) => session.written.get(f.path) !== hashes.get(f.path));
  const deletes = [...session.written.keys()].filter((p) => !hashes.has(p));
  // Sent even when nothing changed: a runner that lost the session says so here (withProjectSession then makes a new one).
  await client.writeFiles(
    session.sessionId,
    changedFiles.map((f) => ({ path: f.path, content: f.content })),
    deletes,
  );
  session.written = hashes;
  return { written: changedFiles.length, deleted: deletes.length, changed: [...changedFiles.map((f) => f.path), ...deletes] };
}

/**
 * Ends the project's session (the runner stops its app and terminal with it) and forgets it, for
 * a deleted project; a creation in flight is awaited first. Returns whether there was one. A
 * runner that cannot be reached is logged, not thrown: its idle TTL removes the session.
 */
export async function closeProjectSession(userId: Id, projectId: Id, client?: RunnerClient): Promise<boolean> {
  const { sessions, creating } = registry();
  const key = keyOf(userId, projectId);
  await creating.get(key)?.catch(() => undefined);
  const session = sessions.get(key);
  if (!session) return false;
  sessions.delete(key);
  try {
    await (client ?? runnerClient()).deleteSession(session.sessionId);
  } catch (err) {
    if (!isLostSession(err)) {
      log.warn({ sessionId: session.sessionId, err: err instanceof Error ? err.message : String(err) }, "runner session not deleted");
    }
  }
  return true;
}

/** The session's id when one exists (no runner call). */
export function peekProjectSession(userId: Id, projectId: Id): ProjectSession | undefined {
  return registry().sessions.get(keyOf(userId, projectId));
}

/** Tests only. */
export function resetProjectSessionsForTests(): void {
  const r = registry();
  r.sessions.clear();
  r.creating.clear();
}

export type { ProjectSession };
