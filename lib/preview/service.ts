import { HttpError } from "@/lib/http/errors";
import { getProject } from "@/lib/projects/service";
import { RunnerRequestError, type RunResult } from "@/lib/sandbox";
import {
  isLostSession,
  peekProjectSession,
  syncProjectFiles,
  withProjectSession,
} from "@/lib/sandbox/project-sessions";
import { getStore } from "@/lib/store";
import type { Id } from "@/lib/store/types";
import {
  BUILD_OUTPUT_DIRS,
  buildScriptOf,
  contentTypeFor,
  declaresDependencies,
  planPreview,
  previewUrl,
  type PreviewPlan,
} from "./plan";
import { issuePreviewToken } from "./token";
import { unreachableDependencies } from "./app-plan";
import { PROJECT_COMMAND_LIMITS } from "@/lib/sandbox/limits";

export interface PreviewStatus {
  plan: PreviewPlan;
  /** Where the iframe loads it; null when there is nothing to show yet. */
  url: string | null;
  /** package.json has a "build" script. */
  buildScript: boolean;
}

async function projectFiles(userId: Id, projectId: Id) {
  const store = await getStore();
  return store.listFiles(userId, projectId);
}

export async function getPreviewStatus(userId: Id, projectId: string): Promise<PreviewStatus> {
  const project = await getProject(userId, projectId);
  const files = await projectFiles(userId, project.id);
  const plan = planPreview(files, peekProjectSession(userId, project.id)?.buildOutput ?? null);
  return {
    plan,
    url: plan.mode === "static" || plan.mode === "build" ? previewUrl(project.id, issuePreviewToken(userId, project.id)) : null,
    buildScript: buildScriptOf(files) !== null,
  };
}

export interface PreviewFile {
  body: Uint8Array;
  contentType: string;
}

/** One file of the preview, or null (→ 404). `relPath` is already checked to stay inside the folder. */
export async function readPreviewFile(userId: Id, projectId: Id, relPath: string): Promise<PreviewFile | null> {
  const files = await projectFiles(userId, projectId);
  const session = peekProjectSession(userId, projectId);
  const plan = planPreview(files, session?.buildOutput ?? null);

  if (plan.mode === "static") {
    const prefix = plan.root ? `${plan.root}/` : "";
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    for (const candidate of [relPath, `${relPath}/index.html`]) {
      const content = byPath.get(prefix + candidate);
      if (content !== undefined) {
        return { body: new TextEncoder().encode(content), contentType: contentTypeFor(candidate) };
      }
    }
    return null;
  }

  if (plan.mode === "build") {
    return withProjectSession(userId, projectId, async (current, client) => {
      // A session the runner lost took its build with it.
      if (!current.buildOutput) return null;
      for (const candidate of [relPath, `${relPath}/index.html`]) {
        try {
          const body = await client.readFile(current.sessionId, `${current.buildOutput}/${candidate}`);
          return { body, contentType: contentTypeFor(candidate) };
        } catch (err) {
          if (isLostSession(err) || !(err instanceof RunnerRequestError)) throw err;
          if (err.runnerStatus === 404 || err.runnerStatus === 400) continue;
          throw err;
        }
      }
      return null;
    });
  }
  return null;
}

export interface BuildResult {
  ok: boolean;
  status: RunResult["status"];
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The output folder that holds index.html, when the build made one. */
  outDir: string | null;
  /** For people: why the build cannot be previewed, or null when it can. */
  problem: string | null;
}

/**
 * Runs `npm run build` in the project's session with its saved files, and finds the output folder.
 * `signal` (the request's, say) aborts the build: the runner kills it at once (RunnerAbortedError).
 */
export async function buildPreview(userId: Id, projectId: string, options: { signal?: AbortSignal } = {}): Promise<BuildResult> {
  const project = await getProject(userId, projectId);
  const files = await projectFiles(userId, project.id);
  if (!buildScriptOf(files)) {
    throw new HttpError(409, "no_build_script", 'package.json has no "build" script, so there is nothing to build.');
  }
  const unreachable = unreachableDependencies(files);
  if (unreachable) throw new HttpError(422, "unreachable_dependency", unreachable);
  return withProjectSession(userId, project.id, async (session, client) => {
    session.buildOutput = null;
    await syncProjectFiles(session, client, userId, project.id);
    const run = async (command: string) =>
      client.runCommand(session.sessionId, { command, limits: PROJECT_COMMAND_LIMITS }, { signal: options.signal });
    const failed = (result: RunResult, problem: string): BuildResult => ({
      ok: false,
      status: result.status,
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      outDir: null,
      problem: result.message ? `${problem} ${result.message}.` : problem,
    });
    // Packages come through the runner's package gateway; an install that changed nothing is quick.
    if (declaresDependencies(files)) {
      const install = await run("npm install");
      if (install.status !== "OK" || install.exitCode !== 0) {
        return failed(install, `Installing the packages failed (npm install, exit code ${install.exitCode ?? install.status}); see the output.`);
      }
    }
    const build = await run("npm run build");
    const base = { status: build.status, exitCode: build.exitCode, stdout: build.stdout, stderr: build.stderr };
    if (build.status !== "OK" || build.exitCode !== 0) {
      return failed(build, `The build failed (exit code ${build.exitCode ?? build.status}).`);
    }
    for (const dir of BUILD_OUTPUT_DIRS) {
      try {
        await client.readFile(session.sessionId, `${dir}/index.html`);
        session.buildOutput = dir;
        return { ...base, ok: true, outDir: dir, problem: null };
      } catch (err) {
        if (isLostSession(err) || !(err instanceof RunnerRequestError) || err.runnerStatus !== 404) throw err;
      }
    }
    return {
      ...base,
      ok: false,
      outDir: null,
      problem: `The build finished but made no index.html in ${BUILD_OUTPUT_DIRS.map((d) => `${d}/`).join(", ")}.`,
    };
  });
}
