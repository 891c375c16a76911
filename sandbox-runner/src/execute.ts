import { z } from "zod";
import { RequestError } from "./errors.js";
import { DEFAULT_COMPILE_LIMITS, DEFAULT_LIMITS, PartialLimitsSchema, resolveLimits, type Limits } from "./limits.js";
import { findRuntime, type Runtime, type StageJob, type StagePlan } from "./runtimes.js";
import { takeReadySandbox, type ReadySandbox } from "./sandbox/ready-pool.js";
import { runInSandbox, type RunResult } from "./sandbox/run.js";
import {
  createWorkspace,
  createWorkspaceDir,
  normalizeWorkspacePath,
  removeWorkspace,
  WorkspacePathError,
  writeWorkspaceFile,
  type Workspace,
} from "./sandbox/workspace.js";

export const MAX_FILES = 64;
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_TOTAL_FILE_BYTES = 8 * 1024 * 1024;
export const MAX_STDIN_BYTES = 1024 * 1024;
export const MAX_ARGS = 64;
export const MAX_ARG_LENGTH = 4096;

const noNul = (value: string) => !value.includes("\0");

export const ExecuteRequestSchema = z.strictObject({
  language: z.string().min(1).max(32),
  /** Optional; if given, the runtime's version must start with it (e.g. "3" or "3.11"). */
  version: z.string().max(32).optional(),
  files: z
    .array(
      z.strictObject({
        path: z.string().min(1).max(255),
        content: z.string(),
        encoding: z.enum(["utf8", "base64"]).optional(),
      }),
    )
    .min(1, "files must contain at least one file (the first one is the entry point)")
    .max(MAX_FILES, `at most ${MAX_FILES} files`),
  stdin: z.string().optional(),
  args: z
    .array(z.string().max(MAX_ARG_LENGTH).refine(noNul, "args must not contain NUL bytes"))
    .max(MAX_ARGS, `at most ${MAX_ARGS} args`)
    .optional(),
  limits: PartialLimitsSchema.optional(),
  compileLimits: PartialLimitsSchema.optional(),
});

export type ExecuteRequest = z.infer<typeof ExecuteRequestSchema>;

export interface ExecuteResult {
  language: string;
  version: string;
  /** Present for compiled languages. */
  compile?: RunResult;
  /** Absent only when compilation failed (then `compile.status` says why). */
  run?: RunResult;
}

interface PreparedFile {
  path: string;
  data: Buffer;
}

interface PreparedRequest {
  runtime: Runtime;
  files: PreparedFile[];
  stdin: string;
  args: string[];
  limits: Limits;
  compileLimits: Limits;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  return `${where}${issue.message}`;
}

/** Validates a request; throws RequestError (→ HTTP 400) with a message naming the problem. */
export async function prepareRequest(input: unknown): Promise<PreparedRequest> {
  const parsed = ExecuteRequestSchema.safeParse(input);
  if (!parsed.success) throw new RequestError("invalid_request", describeIssue(parsed.error.issues[0]));
  const request = parsed.data;

  const runtime = await findRuntime(request.language);
  if (!runtime) throw new RequestError("unknown_language", `unknown language "${request.language}"`);
  if (request.version && request.version !== "*" && !runtime.version.startsWith(request.version)) {
    throw new RequestError(
      "unknown_language",
      `${runtime.language} ${request.version} is not available (this runner has ${runtime.version})`,
    );
  }

  const seen = new Set<string>();
  let totalBytes = 0;
  const files = request.files.map((file, index) => {
    let path: string;
    try {
      path = normalizeWorkspacePath(file.path);
    } catch (error) {
      if (error instanceof WorkspacePathError) throw new RequestError("invalid_request", `files.${index}.path: ${error.message}`);
      throw error;
    }
    if (seen.has(path)) throw new RequestError("invalid_request", `files.${index}.path: "${path}" appears twice`);
    seen.add(path);
    const data = Buffer.from(file.content, file.encoding === "base64" ? "base64" : "utf8");
    if (data.length > MAX_FILE_BYTES) {
      throw new RequestError("invalid_request", `files.${index}: "${path}" is larger than ${MAX_FILE_BYTES} bytes`);
    }
    totalBytes += data.length;
    return { path, data };
  });
  if (totalBytes > MAX_TOTAL_FILE_BYTES) {
    throw new RequestError("invalid_request", `files: more than ${MAX_TOTAL_FILE_BYTES} bytes in total`);
  }
  const stdin = request.stdin ?? "";
  if (Buffer.byteLength(stdin) > MAX_STDIN_BYTES) {
    throw new RequestError("invalid_request", `stdin: larger than ${MAX_STDIN_BYTES} bytes`);
  }
  return {
    runtime,
    files,
    stdin,
    args: request.args ?? [],
    limits: resolveLimits(request.limits, DEFAULT_LIMITS),
    compileLimits: resolveLimits(request.compileLimits, DEFAULT_COMPILE_LIMITS),
  };
}

function runStage(
  workspace: Workspace,
  plan: StagePlan,
  limits: Limits,
  stdin: string,
  ready?: ReadySandbox,
  signal?: AbortSignal,
): Promise<RunResult> {
  for (const dir of plan.directories ?? []) createWorkspaceDir(workspace, dir);
  return runInSandbox({
    argv: plan.argv,
    workspace: workspace.dir,
    env: plan.env,
    readOnlyBinds: plan.readOnlyBinds,
    stdin,
    limits,
    ready,
    signal,
  });
}

/**
 * Runs a request end to end: fresh workspace, files written, compile stage (if any; stops there on
 * failure), run stage, and everything removed afterwards. The first stage runs in a ready sandbox
 * (sandbox/ready-pool.ts) when one is ready and the stage needs no extra binds; the workspace is
 * then that sandbox's own, still empty, one.
 *
 * Aborting `signal` (the server does when the client goes away) kills the running stage's cgroup as
 * its wall time limit would, and no further stage starts; the workspace is removed as always.
 */
export async function execute(input: unknown, signal?: AbortSignal): Promise<ExecuteResult> {
  const request = await prepareRequest(input);
  const { runtime } = request;
  const job: StageJob = {
    entry: request.files[0].path,
    entryContent: request.files[0].data.toString("utf8"),
    files: request.files.map((file) => file.path),
    args: request.args,
    limits: request.limits,
  };
  const compilePlan = runtime.compile?.({ ...job, limits: request.compileLimits });
  const runPlan = runtime.run(job);
  const firstPlan = compilePlan ?? runPlan;
  const ready = firstPlan.readOnlyBinds?.length ? undefined : takeReadySandbox();
  const workspace = ready?.workspace ?? createWorkspace();
  try {
    for (const file of request.files) writeWorkspaceFile(workspace, file.path, file.data);
    const result: ExecuteResult = { language: runtime.language, version: runtime.version };
    if (compilePlan) {
      result.compile = await runStage(workspace, compilePlan, request.compileLimits, "", ready, signal);
      if (result.compile.status !== "OK" || signal?.aborted) return result;
    }
    result.run = await runStage(workspace, runPlan, request.limits, request.stdin, compilePlan ? undefined : ready, signal);
    return result;
  } finally {
    removeWorkspace(workspace);
  }
}
