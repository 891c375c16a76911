import { execFile } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import type { Limits } from "./limits.js";
import { SANDBOX_WORKSPACE, type ReadOnlyBind } from "./sandbox/command.js";

/**
 * Languages the runner executes. Interpreters and compilers are resolved once, to absolute real
 * paths (a PATH lookup through a shim costs ~100 ms per run), and their versions read once.
 */

/** Compiler output goes here, inside the workspace, so the run stage (a separate sandbox) sees it. */
export const BUILD_DIR = ".autocrea-build";
const ESBUILD_IN_SANDBOX = "/opt/autocrea/esbuild";

export interface RuntimeInfo {
  language: string;
  version: string;
  aliases: string[];
  /** What actually runs it, e.g. "gcc 12.2.0" or "esbuild 0.28.2 + node 20.20.2". */
  runtime: string;
  compiled: boolean;
}

export interface StageJob {
  /** Normalized path of the entry file (the request's first file). */
  entry: string;
  entryContent: string;
  /** Every normalized file path in the request. */
  files: string[];
  args: string[];
  limits: Limits;
}

export interface StagePlan {
  argv: string[];
  env?: Record<string, string>;
  readOnlyBinds?: ReadOnlyBind[];
  /** Workspace directories to create before the stage starts. */
  directories?: string[];
}

export interface Runtime extends RuntimeInfo {
  compile?: (job: StageJob) => StagePlan;
  run: (job: StageJob) => StagePlan;
}

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;

function resolveBinary(candidates: (string | undefined)[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate && path.isAbsolute(candidate) && existsSync(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

/** Host paths that are not already visible in the sandbox (outside /usr) are bound read-only. */
function installBinds(binary: string): ReadOnlyBind[] {
  if (binary.startsWith("/usr/")) return [];
  const prefix = path.dirname(path.dirname(binary));
  return [{ source: prefix, dest: prefix }];
}

async function versionOf(binary: string, args: string[], pattern: RegExp): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(binary, args, { timeout: 15_000, env: { PATH: "/usr/bin:/bin" } });
    return (stdout + stderr).match(pattern)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

const SEMVER = /(\d+\.\d+\.\d+)/;

function sourcesWith(files: string[], extensions: string[]): string[] {
  return files.filter((file) => extensions.some((extension) => file.endsWith(extension)));
}

/** JVM sized to fit the cgroup: heap about half the limit, the rest for metaspace, code cache and stacks. */
function jvmFlags(memoryBytes: number): string[] {
  const heapMiB = Math.max(8, Math.floor((memoryBytes * 0.5) / MiB));
  return [
    `-Xmx${heapMiB}m`,
    "-Xss1m",
    "-XX:ReservedCodeCacheSize=48m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-XX:-UseContainerSupport",
    "-Xshare:auto",
  ];
}

function javaMainClass(entry: string, content: string): string {
  const className = path.posix.basename(entry, ".java");
  const packageName = content.match(/^\s*package\s+([\w.]+)\s*;/m)?.[1];
  return packageName ? `${packageName}.${className}` : className;
}

async function buildRuntimes(): Promise<Runtime[]> {
  const runtimes: Runtime[] = [];
  const env = process.env;

  const node = resolveBinary([env.RUNNER_NODE_PATH, "/usr/bin/node", "/usr/local/bin/node", process.execPath]);
  const python = resolveBinary([env.RUNNER_PYTHON_PATH, "/usr/bin/python3", "/usr/local/bin/python3"]);
  const gcc = resolveBinary([env.RUNNER_GCC_PATH, "/usr/bin/gcc"]);
  const gxx = resolveBinary([env.RUNNER_GXX_PATH, "/usr/bin/g++"]);
  const javaHome = env.RUNNER_JAVA_HOME;
  const java = resolveBinary([javaHome && path.join(javaHome, "bin/java"), "/usr/bin/java"]);
  const javac = resolveBinary([javaHome && path.join(javaHome, "bin/javac"), "/usr/bin/javac"]);
  const bash = resolveBinary([env.RUNNER_BASH_PATH, "/usr/bin/bash", "/bin/bash"]);
  const esbuild = resolveEsbuild();

  const [nodeVersion, pythonVersion, gccVersion, gxxVersion, javaVersion, bashVersion, esbuildVersion] =
    await Promise.all([
      node ? versionOf(node, ["--version"], SEMVER) : "",
      python ? versionOf(python, ["--version"], SEMVER) : "",
      gcc ? versionOf(gcc, ["-dumpfullversion"], SEMVER) : "",
      gxx ? versionOf(gxx, ["-dumpfullversion"], SEMVER) : "",
      java ? versionOf(java, ["-version"], /version "([^"]+)"/) : "",
      bash ? versionOf(bash, ["--version"], SEMVER) : "",
      esbuild ? versionOf(esbuild, ["--version"], SEMVER) : "",
    ]);

  if (node) {
    const binds = installBinds(node);
    runtimes.push({
      language: "javascript",
      version: nodeVersion,
      aliases: ["js", "node", "nodejs", "node-javascript"],
      runtime: `node ${nodeVersion}`,
      compiled: false,
      run: (job) => ({ argv: [node, job.entry, ...job.args], readOnlyBinds: binds }),
    });
    if (esbuild) {
      const output = `${BUILD_DIR}/main.js`;
      runtimes.push({
        language: "typescript",
        version: nodeVersion,
        aliases: ["ts", "node-typescript"],
        runtime: `esbuild ${esbuildVersion} + node ${nodeVersion}`,
        compiled: true,
        compile: (job) => ({
          argv: [
            ESBUILD_IN_SANDBOX,
            job.entry,
            "--bundle",
            "--platform=node",
            "--format=cjs",
            `--target=node${nodeVersion.split(".")[0]}`,
            `--outfile=${output}`,
            "--log-level=warning",
            "--color=false",
          ],
          readOnlyBinds: [{ source: esbuild, dest: ESBUILD_IN_SANDBOX }],
          directories: [BUILD_DIR],
        }),
        run: (job) => ({ argv: [node, output, ...job.args], readOnlyBinds: binds }),
      });
    }
  }

  if (python) {
    runtimes.push({
      language: "python",
      version: pythonVersion,
      aliases: ["py", "python3", "py3"],
      runtime: `python ${pythonVersion}`,
      compiled: false,
      // -E: ignore PYTHON* variables; -s: no user site dir; -B: no .pyc files in the workspace.
      run: (job) => ({ argv: [python, "-E", "-s", "-B", job.entry, ...job.args], readOnlyBinds: installBinds(python) }),
    });
  }

  const binary = `${BUILD_DIR}/main`;
  if (gcc) {
    runtimes.push({
      language: "c",
      version: gccVersion,
      aliases: ["gcc"],
      runtime: `gcc ${gccVersion}`,
      compiled: true,
      compile: (job) => ({
        argv: [gcc, "-O2", "-std=gnu17", "-pipe", "-o", binary, ...sourcesWith(job.files, [".c"]), "-lm"],
        directories: [BUILD_DIR],
      }),
      run: (job) => ({ argv: [`${SANDBOX_WORKSPACE}/${binary}`, ...job.args] }),
    });
  }
  if (gxx) {
    runtimes.push({
      language: "c++",
      version: gxxVersion,
      aliases: ["cpp", "cxx", "g++"],
      runtime: `g++ ${gxxVersion}`,
      compiled: true,
      compile: (job) => ({
        argv: [gxx, "-O2", "-std=gnu++20", "-pipe", "-o", binary, ...sourcesWith(job.files, [".cpp", ".cc", ".cxx", ".c++"]), "-lm"],
        directories: [BUILD_DIR],
      }),
      run: (job) => ({ argv: [`${SANDBOX_WORKSPACE}/${binary}`, ...job.args] }),
    });
  }
  if (java && javac) {
    runtimes.push({
      language: "java",
      version: javaVersion,
      aliases: ["jdk", "openjdk"],
      runtime: `openjdk ${javaVersion}`,
      compiled: true,
      compile: (job) => ({
        argv: [
          javac,
          ...jvmFlags(job.limits.memoryBytes).map((flag) => `-J${flag}`),
          "-encoding",
          "UTF-8",
          "-d",
          BUILD_DIR,
          ...sourcesWith(job.files, [".java"]),
        ],
        readOnlyBinds: installBinds(javac),
        directories: [BUILD_DIR],
      }),
      run: (job) => ({
        argv: [java, ...jvmFlags(job.limits.memoryBytes), "-cp", BUILD_DIR, javaMainClass(job.entry, job.entryContent), ...job.args],
        readOnlyBinds: installBinds(java),
      }),
    });
  }
  if (bash) {
    runtimes.push({
      language: "bash",
      version: bashVersion,
      aliases: ["sh", "shell"],
      runtime: `bash ${bashVersion}`,
      compiled: false,
      run: (job) => ({ argv: [bash, job.entry, ...job.args] }),
    });
  }
  return runtimes;
}

function resolveEsbuild(): string | undefined {
  if (process.env.RUNNER_ESBUILD_PATH) return resolveBinary([process.env.RUNNER_ESBUILD_PATH]);
  try {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve(`@esbuild/${process.platform}-${process.arch}/package.json`);
    return resolveBinary([path.join(path.dirname(packageJson), "bin/esbuild")]);
  } catch {
    return undefined;
  }
}

let runtimesPromise: Promise<Runtime[]> | undefined;

/** All available runtimes (resolved on first call, then cached). */
export function loadRuntimes(): Promise<Runtime[]> {
  runtimesPromise ??= buildRuntimes();
  return runtimesPromise;
}

/** Finds a runtime by language name or alias, case-insensitively. */
export async function findRuntime(name: string): Promise<Runtime | undefined> {
  const wanted = name.toLowerCase();
  return (await loadRuntimes()).find((runtime) => runtime.language === wanted || runtime.aliases.includes(wanted));
}

/** Data for GET /v1/runtimes. */
export async function listRuntimes(): Promise<RuntimeInfo[]> {
  return (await loadRuntimes()).map(({ language, version, aliases, runtime, compiled }) => ({
    language,
    version,
    aliases,
    runtime,
    compiled,
  }));
}
