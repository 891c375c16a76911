import { HttpError, notFound } from "@/lib/http/errors";
import { isPlausibleProjectId } from "@/lib/projects/schema";
import { getStore, type Id, type Project } from "@/lib/store";
import { MAX_FIXER_PASSES } from "../runs/pipeline";
import { estimateRunCredits, maxPlatformEstimate } from "../pricing";
import { resolveCandidates } from "../model-choice";
import type { ProviderCandidate, RoleName } from "../types";
import { launchDependencies, ownIdleProject, rememberModel, reserveAndLaunch, type StartedGeneration } from "../runs/start";
import { WorkingTree } from "../runs/working-tree";
import { contextChars, editorMessages, selectChangeContext } from "./context";
import type { ChangeRequest } from "./dag";
import { conversationSection, listChanges } from "./history";

/**
 * Starting a change request (POST /api/projects/:id/changes): the estimate follows the context the
 * change needs — the editor's messages, read again by each fixer pass — not the project's size.
 */

export interface StartChangeInput {
  projectId: string;
  request: string;
  cap?: number;
  /** A ModelOption id the user picked (lib/ai/model-choice.ts). */
  model?: string;
}

function changeEstimate(candidates: ProviderCandidate[], hasRunner: boolean, chars: number, maxFixerPasses: number): number {
  const roles: RoleName[] = ["editor", ...(hasRunner ? Array<RoleName>(maxFixerPasses).fill("fixer") : [])];
  return Math.max(1, maxPlatformEstimate(candidates, (model) => estimateRunCredits({ roles, promptChars: chars, model })));
}

function about(project: { description: string; prompt: string }): string {
  return [project.description, project.prompt && project.prompt !== project.description ? `First asked for: ${project.prompt}` : ""]
    .filter(Boolean)
    .join("\n\n");
}

/** The project's files, the candidates, the runner and the estimate of one change request. */
async function prepareChange(userId: Id, projectId: string, request: string, project: Project, model: string | undefined) {
  const store = await getStore();
  const files = await store.listFiles(userId, projectId);
  if (files.length === 0) {
    throw new HttpError(409, "no_files", "This project has no files yet: generate it first, then ask for changes.");
  }
  const { runner, maxFixerPasses } = launchDependencies();
  const candidates = await resolveCandidates(userId, { model, remembered: project.model });
  const runnerClient = runner();
  const context = selectChangeContext(new WorkingTree(files), request);
  const change: ChangeRequest = { request, about: about(project), earlier: conversationSection(await listChanges(store, userId, projectId)) };
  const messages = editorMessages(change, context);
  const estimate = changeEstimate(candidates, runnerClient !== null, contextChars(messages), maxFixerPasses ?? MAX_FIXER_PASSES);
  // What it costs when the checks pass at once: the editor alone.
  const likely = Math.min(estimate, changeEstimate(candidates, false, contextChars(messages), 0));
  return { candidates, runnerClient, estimate, likely, context, change };
}

export interface ChangeEstimate {
  /** What starting it reserves: the most it may cost, fixer passes included. */
  estimate: number;
  /** What it costs when the checks pass without a fix. */
  likely: number;
  model: string;
  /** The files the editor would be shown. */
  files: string[];
}

/** What a change request would reserve now, and what it would read (POST /api/projects/:id/changes/estimate). */
export async function estimateChange(userId: Id, projectId: string, request: string, model?: string): Promise<ChangeEstimate> {
  const store = await getStore();
  const project = isPlausibleProjectId(projectId) ? await store.getProject(userId, projectId) : null;
  if (!project) throw notFound("Project");
  const { estimate, likely, candidates, context } = await prepareChange(userId, project.id, request, project, model);
  return { estimate, likely, model: candidates[0].model, files: context.shown.map((f) => f.path) };
}

export async function startChange(userId: Id, input: StartChangeInput): Promise<StartedGeneration> {
  const store = await getStore();
  const project = await ownIdleProject(store, userId, input.projectId);
  const { candidates, runnerClient, estimate, change } = await prepareChange(userId, project.id, input.request, project, input.model);
  await rememberModel(store, userId, project, input.model);
  return reserveAndLaunch(store, userId, project, {
    estimate,
    cap: input.cap,
    candidates,
    runner: runnerClient,
    prompt: input.request,
    change,
  });
}
