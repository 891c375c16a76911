import { getStore, type Id } from "@/lib/store";
import { HttpError } from "@/lib/http/errors";
import { MAX_FIXER_PASSES } from "../orchestrator";
import { estimateRunCredits, maxPlatformEstimate } from "../pricing";
import { resolveCandidates } from "../providers";
import type { ProviderCandidate, RoleName } from "../types";
import { launchDependencies, ownIdleProject, reserveAndLaunch, type StartedGeneration } from "../run/start";
import { WorkingTree } from "../run/working-tree";
import { contextChars, editorMessages, selectChangeContext } from "./context";

/**
 * Starting a change request (POST /api/projects/:id/changes): the estimate follows the context the
 * change needs — the editor's messages, read again by each fixer pass — not the project's size.
 */

export interface StartChangeInput {
  projectId: string;
  request: string;
  cap?: number;
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

export async function startChange(userId: Id, input: StartChangeInput): Promise<StartedGeneration> {
  const store = await getStore();
  const project = await ownIdleProject(store, userId, input.projectId);
  const files = await store.listFiles(userId, project.id);
  if (files.length === 0) {
    throw new HttpError(409, "no_files", "This project has no files yet: generate it first, then ask for changes.");
  }
  const { runner, maxFixerPasses } = launchDependencies();
  const candidates = await resolveCandidates(userId);
  const runnerClient = runner();
  const messages = editorMessages(input.request, about(project), selectChangeContext(new WorkingTree(files), input.request));
  const estimate = changeEstimate(candidates, runnerClient !== null, contextChars(messages), maxFixerPasses ?? MAX_FIXER_PASSES);
  return reserveAndLaunch(store, userId, project, {
    estimate,
    cap: input.cap,
    candidates,
    runner: runnerClient,
    prompt: input.request,
    change: { request: input.request, about: about(project) },
  });
}
