import { HttpError, notFound } from "@/lib/http/errors";
import { getStore, isStoreError, type Id, type Project } from "@/lib/store";
import { isPlausibleProjectId, type CreateProjectBody, type UpdateProjectBody } from "./schema";

/**
 * Project operations for one signed-in user. A project someone else owns, an
 * unknown id and a malformed id all look the same: "not found".
 */

export async function listProjects(userId: Id): Promise<Project[]> {
  const store = await getStore();
  return store.listProjects(userId);
}

/** Throws HttpError 409 when the user already has a project with that name. */
export async function createProject(userId: Id, body: CreateProjectBody): Promise<Project> {
  const store = await getStore();
  try {
    return await store.createProject(userId, body);
  } catch (err) {
    throw nameConflictOr(err, body.name);
  }
}

/** The project, or null when the user cannot see it. */
export async function findProject(userId: Id, projectId: string): Promise<Project | null> {
  if (!isPlausibleProjectId(projectId)) return null;
  const store = await getStore();
  return store.getProject(userId, projectId);
}

/** Throws HttpError 404 when the user cannot see the project. */
export async function getProject(userId: Id, projectId: string): Promise<Project> {
  const project = await findProject(userId, projectId);
  if (!project) throw notFound("Project");
  return project;
}

export async function updateProject(userId: Id, projectId: string, patch: UpdateProjectBody): Promise<Project> {
  if (!isPlausibleProjectId(projectId)) throw notFound("Project");
  const store = await getStore();
  try {
    return await store.updateProject(userId, projectId, patch);
  } catch (err) {
    if (isStoreError(err, "not_found")) throw notFound("Project");
    throw nameConflictOr(err, patch.name);
  }
}

function nameConflictOr(err: unknown, name: string | undefined): unknown {
  if (isStoreError(err, "conflict") && name !== undefined) {
    return new HttpError(409, "name_taken", `You already have a project named "${name}". Pick another name.`, {
      field: "name",
    });
  }
  return err;
}
