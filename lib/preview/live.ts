import { randomBytes } from "node:crypto";
import { env } from "@/lib/env";
import { HttpError } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import type { AppLogChunk, AppStatus } from "@/lib/sandbox";
import {
  isLostSession,
  peekProjectSession,
  syncProjectFiles,
  withProjectSession,
  type ProjectSession,
} from "@/lib/sandbox/project-sessions";
import { getStore } from "@/lib/store";
import type { Id } from "@/lib/store/types";
import { STOPPED_APP_STATUS } from "../../sandbox-runner/src/sessions/app-status";
import { changeNeedsRestart, planApp, unreachableDependencies, type AppPlan } from "./app-plan";

/**
 * The live preview: the project's app running in its runner session (install, start, ready,
 * crashed…), shown through the preview proxy (./proxy-server) on an origin of its own per preview:
 * `PREVIEW_URL_TEMPLATE` with `{id}` replaced by a random preview id that this module maps to one
 * user's one project. The id is the capability: whoever holds the URL sees that app, nothing else.
 */

export interface LivePreview {
  /** null when the project has nothing to run (the static preview is the way to see it). */
  plan: Pick<AppPlan, "label" | "port"> | null;
  app: AppStatus;
  /** Where the iframe loads the app; null until it has been started. */
  url: string | null;
}


/** How long a preview URL keeps working without use. */
export const PREVIEW_ID_IDLE_MS = 12 * 3600_000;

interface PreviewGrant {
  userId: Id;
  projectId: Id;
  lastUsedAt: number;
}

const GRANTS = Symbol.for("autocrea.livePreviewGrants");

function grants(): Map<string, PreviewGrant> {
  const holder = globalThis as typeof globalThis & { [GRANTS]?: Map<string, PreviewGrant> };
  holder[GRANTS] ??= new Map();
  return holder[GRANTS];
}

/** The preview id of (user, project), made on first use; one per project so reloads keep their URL. */
function previewIdFor(userId: Id, projectId: Id): string {
  const now = Date.now();
  for (const [id, grant] of grants()) {
    if (now - grant.lastUsedAt > PREVIEW_ID_IDLE_MS) grants().delete(id);
    else if (grant.userId === userId && grant.projectId === projectId) {
      grant.lastUsedAt = now;
      return id;
    }
  }
  // A DNS label: lowercase letters and digits only.
  const id = `p${randomBytes(15).toString("hex")}`;
  grants().set(id, { userId, projectId, lastUsedAt: now });
  return id;
}

/** Forgets the project's preview URL (a deleted project): its preview id then leads nowhere. */
export function revokeLivePreview(userId: Id, projectId: Id): void {
  for (const [id, grant] of grants()) {
    if (grant.userId === userId && grant.projectId === projectId) grants().delete(id);
  }
}

/** Whom a preview id belongs to (marking it used), or null when unknown or expired. */
export function resolvePreviewId(id: string): PreviewGrant | null {
  const grant = grants().get(id);
  if (!grant) return null;
  if (Date.now() - grant.lastUsedAt > PREVIEW_ID_IDLE_MS) {
    grants().delete(id);
    return null;
  }
  grant.lastUsedAt = Date.now();
  return grant;
}

export function previewOrigin(id: string): string {
  return env().PREVIEW_URL_TEMPLATE.replace("{id}", id).replace(/\/+$/, "");
}

/** The preview id in a request's Host header (the first label), if the host has the template's shape. */
export function previewIdFromHost(host: string | undefined): string | null {
  if (!host) return null;
  const template = new URL(env().PREVIEW_URL_TEMPLATE.replace("{id}", "xid"));
  const suffix = template.host.slice("xid".length);
  const name = host.toLowerCase();
  if (!name.endsWith(suffix)) return null;
  const id = name.slice(0, -suffix.length);
  return /^p[0-9a-f]{30}$/.test(id) ? id : null;
}

async function files(userId: Id, projectId: Id) {
  return (await getStore()).listFiles(userId, projectId);
}

/** Starts (or restarts) the project's app: files synced, install when needed, then the app. */
export async function startLivePreview(userId: Id, projectId: string): Promise<LivePreview> {
  const project = await getProject(userId, projectId);
  const projectFiles = await files(userId, project.id);
  const plan = planApp(projectFiles);
  if (!plan) {
    throw new HttpError(
      409,
      "nothing_to_run",
      'There is no app to run: package.json has no "dev" or "start" script (and there is no app.py, main.py or server.py).',
    );
  }
  const unreachable = unreachableDependencies(projectFiles);
  if (unreachable) throw new HttpError(422, "unreachable_dependency", unreachable);
  const app = await withProjectSession(userId, project.id, async (session, client) => {
    await syncProjectFiles(session, client, userId, project.id);
    session.app = plan;
    return client.startApp(session.sessionId, { command: plan.command, port: plan.port, install: plan.install ?? undefined });
  });
  return { plan: { label: plan.label, port: plan.port }, app, url: previewOrigin(previewIdFor(userId, project.id)) };
}

/** The app's state; `stopped` when the project has no session or its session was lost. */
export async function getLivePreview(userId: Id, projectId: string): Promise<LivePreview> {
  const project = await getProject(userId, projectId);
  const plan = planApp(await files(userId, project.id));
  const session = peekProjectSession(userId, project.id);
  const summary = plan ? { label: plan.label, port: plan.port } : null;
  if (!session?.app) return { plan: summary, app: STOPPED_APP_STATUS, url: null };
  const app = await withSession(session, userId, project.id, (s, client) => client.appStatus(s.sessionId), STOPPED_APP_STATUS);
  return { plan: summary, app, url: previewOrigin(previewIdFor(userId, project.id)) };
}

export async function liveLogs(userId: Id, projectId: string, since: number): Promise<AppLogChunk> {
  const project = await getProject(userId, projectId);
  const session = peekProjectSession(userId, project.id);
  if (!session?.app) return { text: "", next: 0 };
  return withSession(session, userId, project.id, (s, client) => client.appLogs(s.sessionId, since), { text: "", next: 0 });
}

export async function stopLivePreview(userId: Id, projectId: string): Promise<void> {
  const project = await getProject(userId, projectId);
  const session = peekProjectSession(userId, project.id);
  if (!session?.app) return;
  await withSession(session, userId, project.id, (s, client) => client.stopApp(s.sessionId), undefined);
  session.app = null;
}

/**
 * After a save: the saved files reach the session; a running app reloads them itself (a dev server
 * watching its files) or is restarted (anything else, or a changed manifest, which installs first).
 */
export async function syncAfterSave(
  userId: Id,
  projectId: string,
): Promise<{ synced: boolean; written: number; deleted: number; app: "reloads" | "restarted" | null }> {
  const project = await getProject(userId, projectId);
  if (!peekProjectSession(userId, project.id)) return { synced: false, written: 0, deleted: 0, app: null };
  return withProjectSession(userId, project.id, async (session, client) => {
    const { written, deleted, changed } = await syncProjectFiles(session, client, userId, project.id);
    let app: "reloads" | "restarted" | null = null;
    if (session.app && changed.length > 0) {
      const status = await client.appStatus(session.sessionId);
      if (status.state !== "stopped") {
        const plan = planApp(await files(userId, project.id)) ?? session.app;
        if (changeNeedsRestart(plan, changed) || status.state === "crashed" || status.state === "failed") {
          session.app = plan;
          await client.startApp(session.sessionId, { command: plan.command, port: plan.port, install: plan.install ?? undefined });
          app = "restarted";
        } else app = "reloads";
      }
    }
    return { synced: true, written, deleted, app };
  });
}

/** Runs `action` on an existing session; a session the runner lost answers `fallback` (the app is gone with it). */
async function withSession<T>(
  session: ProjectSession,
  userId: Id,
  projectId: Id,
  action: (session: ProjectSession, client: import("@/lib/sandbox").RunnerClient) => Promise<T>,
  fallback: T,
): Promise<T> {
  try {
    return await withProjectSession(userId, projectId, (current, client) => {
      if (current !== session) return Promise.resolve(fallback);
      return action(current, client);
    });
  } catch (err) {
    if (isLostSession(err)) return fallback;
    throw err;
  }
}
