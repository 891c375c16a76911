import { assertValidTree, languageForPath, normalizeProjectPath, utf8ByteLength, validateFileSet } from "@/lib/files/paths";
import { sha256Hex } from "@/lib/files/hash";
import {
  StoreError,
  type FileInput,
  type Project,
  type ProjectFile,
  type ProjectPatch,
  type ProjectStatus,
  type Store,
  type Version,
} from "../types";
import { immediate, isUniqueViolation, newId, notFound, now, type Db } from "./db";
import { PROJECT_RUN_STILL_RUNNING, projectName } from "../rules";

type ProjectOps = Pick<
  Store,
  | "createProject"
  | "listProjects"
  | "getProject"
  | "updateProject"
  | "deleteProject"
  | "listFiles"
  | "getFile"
  | "saveFiles"
  | "listVersions"
  | "getVersion"
  | "getVersionFiles"
  | "restoreVersion"
>;

const PROJECT_STATUSES: readonly ProjectStatus[] = ["pending", "generating", "completed", "completed_with_issues", "failed", "archived"];

interface ProjectRow {
  id: string;
  user_id: string;
  name: string;
  description: string;
  prompt: string;
  framework: string;
  status: ProjectStatus;
  model: string | null;
  created_at: number;
  updated_at: number;
}

interface FileRow {
  project_id: string;
  path: string;
  content: string;
  language: string;
  size: number;
  updated_at: number;
}

interface VersionRow {
  id: string;
  project_id: string;
  number: number;
  message: string;
  parent: number | null;
  created_at: number;
  manifest: string;
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  description: r.description,
  prompt: r.prompt,
  framework: r.framework,
  status: r.status,
  model: r.model,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toFile = (r: FileRow): ProjectFile => ({
  projectId: r.project_id,
  path: r.path,
  content: r.content,
  language: r.language,
  size: r.size,
  updatedAt: r.updated_at,
});

const toVersion = (r: VersionRow): Version => ({
  id: r.id,
  projectId: r.project_id,
  number: r.number,
  message: r.message,
  parent: r.parent,
  createdAt: r.created_at,
  manifest: JSON.parse(r.manifest) as Record<string, string>,
});

const nameTaken = (name: string) => new StoreError("conflict", `You already have a project named "${name}".`);
const runStillRunning = () => new StoreError("conflict", PROJECT_RUN_STILL_RUNNING);

export function projectOps(db: Db): ProjectOps {
  // A deleted user's projects are invisible, to everyone and to every operation here.
  const ownedProject = db.prepare(
    `SELECT p.* FROM projects p JOIN users u ON u.id = p.user_id
     WHERE p.id = ? AND p.user_id = ? AND u.deleted_at IS NULL`,
  );

  function findOwned(userId: string, projectId: string): ProjectRow | undefined {
    return ownedProject.get(projectId, userId) as ProjectRow | undefined;
  }

  function requireOwned(userId: string, projectId: string): ProjectRow {
    const row = findOwned(userId, projectId);
    if (!row) throw notFound("Project");
    return row;
  }

  function versionRow(projectId: string, number: number): VersionRow | undefined {
    return db.prepare("SELECT * FROM versions WHERE project_id = ? AND number = ?").get(projectId, number) as
      | VersionRow
      | undefined;
  }

  function writeFile(projectId: string, path: string, content: string, at: number): void {
    db.prepare(
      `INSERT INTO files (project_id, path, content, language, size, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_id, path) DO UPDATE SET
         content = excluded.content, language = excluded.language, size = excluded.size, updated_at = excluded.updated_at`,
    ).run(projectId, path, content, languageForPath(path), utf8ByteLength(content), at);
  }

  /** Snapshots the current tree as the next version; must run inside a transaction. */
  function recordVersion(projectId: string, message: string, at: number): Version {
    const files = db.prepare("SELECT path, content FROM files WHERE project_id = ? ORDER BY path").all(projectId) as {
      path: string;
      content: string;
    }[];
    const insertBlob = db.prepare("INSERT INTO blobs (sha256, content) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING");
    const manifest: Record<string, string> = {};
    for (const f of files) {
      const hash = sha256Hex(f.content);
      insertBlob.run(hash, f.content);
      manifest[f.path] = hash;
    }
    const last = db.prepare("SELECT MAX(number) AS n FROM versions WHERE project_id = ?").get(projectId) as {
      n: number | null;
    };
    const number = (last.n ?? 0) + 1;
    const id = newId();
    db.prepare(
      `INSERT INTO versions (id, project_id, number, message, parent, created_at, manifest)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, projectId, number, message, last.n, at, JSON.stringify(manifest));
    db.prepare("UPDATE projects SET updated_at = ? WHERE id = ?").run(at, projectId);
    return { id, projectId, number, message, parent: last.n, createdAt: at, manifest };
  }

  function versionContents(version: VersionRow): FileInput[] {
    const blob = db.prepare("SELECT content FROM blobs WHERE sha256 = ?");
    const manifest = JSON.parse(version.manifest) as Record<string, string>;
    return Object.keys(manifest)
      .sort()
      .map((path) => {
        const row = blob.get(manifest[path]) as { content: string } | undefined;
        if (!row) throw new Error(`Blob ${manifest[path]} of ${path} is missing from the store.`);
        return { path, content: row.content };
      });
  }

  return {
    async createProject(userId, input) {
      const name = projectName(input.name);
      return immediate(db, () => {
        if (!db.prepare("SELECT 1 FROM users WHERE id = ? AND deleted_at IS NULL").get(userId)) throw notFound("User");
        if (db.prepare("SELECT 1 FROM projects WHERE user_id = ? AND name = ?").get(userId, name)) throw nameTaken(name);
        const at = now();
        const row: ProjectRow = {
          id: newId(),
          user_id: userId,
          name,
          description: input.description ?? "",
          prompt: input.prompt ?? "",
          framework: input.framework ?? "",
          status: "pending",
          model: input.model ?? null,
          created_at: at,
          updated_at: at,
        };
        db.prepare(
          `INSERT INTO projects (id, user_id, name, description, prompt, framework, status, model, created_at, updated_at)
           VALUES (@id, @user_id, @name, @description, @prompt, @framework, @status, @model, @created_at, @updated_at)`,
        ).run(row);
        return toProject(row);
      });
    },

    async listProjects(userId) {
      const rows = db
        .prepare(
          `SELECT p.* FROM projects p JOIN users u ON u.id = p.user_id
           WHERE p.user_id = ? AND u.deleted_at IS NULL ORDER BY p.updated_at DESC, p.rowid DESC`,
        )
        .all(userId) as ProjectRow[];
      return rows.map(toProject);
    },

    async getProject(userId, projectId) {
      const row = findOwned(userId, projectId);
      return row ? toProject(row) : null;
    },

    async updateProject(userId, projectId, patch: ProjectPatch) {
      if (patch.status !== undefined && !PROJECT_STATUSES.includes(patch.status)) {
        throw new StoreError("invalid", `Unknown project status "${patch.status}".`);
      }
      const name = patch.name === undefined ? undefined : projectName(patch.name);
      return immediate(db, () => {
        const current = requireOwned(userId, projectId);
        if (name !== undefined && name !== current.name) {
          if (db.prepare("SELECT 1 FROM projects WHERE user_id = ? AND name = ?").get(userId, name)) throw nameTaken(name);
        }
        const next: ProjectRow = {
          ...current,
          name: name ?? current.name,
          description: patch.description ?? current.description,
          prompt: patch.prompt ?? current.prompt,
          framework: patch.framework ?? current.framework,
          status: patch.status ?? current.status,
          model: patch.model === undefined ? current.model : patch.model,
          updated_at: now(),
        };
        try {
          db.prepare(
            `UPDATE projects SET name = @name, description = @description, prompt = @prompt,
               framework = @framework, status = @status, model = @model, updated_at = @updated_at WHERE id = @id`,
          ).run(next);
        } catch (err) {
          if (isUniqueViolation(err)) throw nameTaken(next.name);
          throw err;
        }
        return toProject(next);
      });
    },

    async deleteProject(userId, projectId) {
      return immediate(db, () => {
        const row = requireOwned(userId, projectId);
        if (db.prepare("SELECT 1 FROM runs WHERE project_id = ? AND status = 'running'").get(projectId)) {
          throw runStillRunning();
        }
        // The blobs this project's versions point at; those no other version shares go with it.
        const hashes = db
          .prepare("SELECT DISTINCT j.value FROM versions v, json_each(v.manifest) j WHERE v.project_id = ?")
          .pluck()
          .all(projectId) as string[];

        db.prepare("UPDATE deployments SET project_name = ?, project_id = NULL WHERE project_id = ?").run(row.name, projectId);
        db.prepare("UPDATE ai_requests SET project_id = NULL WHERE project_id = ?").run(projectId);
        db.prepare("DELETE FROM run_events WHERE run_id IN (SELECT id FROM runs WHERE project_id = ?)").run(projectId);
        db.prepare("DELETE FROM runs WHERE project_id = ?").run(projectId);
        db.prepare("DELETE FROM generation_steps WHERE project_id = ?").run(projectId);
        db.prepare("DELETE FROM files WHERE project_id = ?").run(projectId);
        db.prepare("DELETE FROM versions WHERE project_id = ?").run(projectId);
        db.prepare("DELETE FROM projects WHERE id = ?").run(projectId);
        if (hashes.length > 0) {
          db.prepare(
            `DELETE FROM blobs WHERE sha256 IN (SELECT value FROM json_each(?))
               AND sha256 NOT IN (SELECT j.value FROM versions v, json_each(v.manifest) j)`,
          ).run(JSON.stringify(hashes));
        }
        return toProject(row);
      });
    },

    async listFiles(userId, projectId) {
      requireOwned(userId, projectId);
      const rows = db.prepare("SELECT * FROM files WHERE project_id = ? ORDER BY path").all(projectId) as FileRow[];
      return rows.map(toFile);
    },

    async getFile(userId, projectId, path) {
      const normalized = normalizeProjectPath(path);
      if (!findOwned(userId, projectId)) return null;
      const row = db.prepare("SELECT * FROM files WHERE project_id = ? AND path = ?").get(projectId, normalized) as
        | FileRow
        | undefined;
      return row ? toFile(row) : null;
    },

    async saveFiles(userId, projectId, input) {
      const { files, deletes } = validateFileSet(input);
      const message = input.message?.trim() || "Update files";
      return immediate(db, () => {
        requireOwned(userId, projectId);
        const existing = db.prepare("SELECT path FROM files WHERE project_id = ?").pluck().all(projectId) as string[];
        const tree = new Set(existing);
        for (const path of deletes) tree.delete(path);
        for (const f of files) tree.add(f.path);
        assertValidTree(tree);

        const at = now();
        const remove = db.prepare("DELETE FROM files WHERE project_id = ? AND path = ?");
        for (const path of deletes) remove.run(projectId, path);
        for (const f of files) writeFile(projectId, f.path, f.content, at);
        return recordVersion(projectId, message, at);
      });
    },

    async listVersions(userId, projectId) {
      requireOwned(userId, projectId);
      const rows = db
        .prepare("SELECT * FROM versions WHERE project_id = ? ORDER BY number DESC")
        .all(projectId) as VersionRow[];
      return rows.map(toVersion);
    },

    async getVersion(userId, projectId, number) {
      if (!findOwned(userId, projectId)) return null;
      const row = versionRow(projectId, number);
      return row ? toVersion(row) : null;
    },

    async getVersionFiles(userId, projectId, number) {
      requireOwned(userId, projectId);
      const row = versionRow(projectId, number);
      if (!row) throw notFound(`Version ${number}`);
      return versionContents(row);
    },

    async restoreVersion(userId, projectId, number) {
      return immediate(db, () => {
        requireOwned(userId, projectId);
        const row = versionRow(projectId, number);
        if (!row) throw notFound(`Version ${number}`);
        const contents = versionContents(row);
        const at = now();
        db.prepare("DELETE FROM files WHERE project_id = ?").run(projectId);
        for (const f of contents) writeFile(projectId, f.path, f.content, at);
        return recordVersion(projectId, `Restore version ${number}`, at);
      });
    },
  };
}
