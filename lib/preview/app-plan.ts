import type { FileInput } from "@/lib/store/types";

/**
 * How a project's app is run for the live preview: the command, the port it listens on inside the
 * sandbox, and the install that comes first. Decided from the files:
 *   - package.json with a "dev" script, else a "start" script → `npm run dev|start`, after `npm install`
 *     (Vite and Next.js are told the port and host on their command line, since Vite ignores PORT);
 *   - else app.py / main.py / server.py → `python3 <file>`, after `pip install -r requirements.txt` into
 *     the workspace's .pypackages when there is one (through the runner's gateway, when it has a PyPI upstream);
 *   - else nothing: the static preview (or a build) stays the way to see the project.
 * The app always gets PORT and HOST=127.0.0.1 in its environment.
 */

export const APP_PORT = 3000;
/** Where a Python app's requirements are installed, inside its workspace. */
const PYTHON_PACKAGES = ".pypackages";

export interface AppPlan {
  command: string;
  port: number;
  install: string | null;
  /** What runs, for people: "npm run dev (vite)". */
  label: string;
  /** A dev server reloads changed files itself; anything else is restarted after a save. */
  watchesFiles: boolean;
}

interface Manifest {
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
}

function manifestOf(files: FileInput[]): Manifest | null {
  const file = files.find((f) => f.path === "package.json");
  if (!file) return null;
  try {
    const parsed = JSON.parse(file.content) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Manifest) : null;
  } catch {
    return null;
  }
}

const WATCHERS = /\b(vite|next|nodemon|webpack(-dev-server| serve)|astro|nuxt|remix|react-scripts|parcel)\b|--watch\b|\btsx watch\b/;

/** Extra arguments that make a known dev server listen where the preview looks. */
function portArguments(script: string): string {
  if (/\bvite\b/.test(script)) return ` -- --port ${APP_PORT} --strictPort --host 127.0.0.1`;
  if (/\bnext (dev|start)\b/.test(script)) return ` -- -p ${APP_PORT} -H 127.0.0.1`;
  return "";
}

export function planApp(files: FileInput[]): AppPlan | null {
  const manifest = manifestOf(files);
  if (manifest) {
    const scripts = manifest.scripts ?? {};
    for (const name of ["dev", "start"] as const) {
      const script = scripts[name];
      if (typeof script !== "string" || script.trim() === "") continue;
      const hasDependencies = [manifest.dependencies, manifest.devDependencies].some((deps) => deps && Object.keys(deps).length > 0);
      return {
        command: `npm run ${name}${portArguments(script)}`,
        port: APP_PORT,
        install: hasDependencies ? "npm install" : null,
        label: `npm run ${name} (${script.length > 60 ? `${script.slice(0, 57)}…` : script})`,
        watchesFiles: WATCHERS.test(script),
      };
    }
    return null;
  }
  for (const entry of ["app.py", "main.py", "server.py"]) {
    if (files.some((f) => f.path === entry)) {
      const requirements = files.some((f) => f.path === "requirements.txt");
      return {
        command: requirements ? `PYTHONPATH=${PYTHON_PACKAGES} python3 ${entry}` : `python3 ${entry}`,
        port: APP_PORT,
        install: requirements ? `python3 -m pip install --quiet --target ${PYTHON_PACKAGES} --upgrade -r requirements.txt` : null,
        label: `python3 ${entry}`,
        watchesFiles: false,
      };
    }
  }
  return null;
}

/** Whether saving these paths needs a restart (with an install first) rather than a reload. */
export function changeNeedsRestart(plan: AppPlan, changedPaths: string[]): boolean {
  if (!plan.watchesFiles) return true;
  return changedPaths.some((p) => /^(package\.json|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|vite\.config\.[cm]?[jt]s|next\.config\.[cm]?[jt]s|\.env.*)$/.test(p));
}

const NON_REGISTRY_SPEC = /^(git\+|git:|github:|gitlab:|bitbucket:|gist:|https?:|ssh:)|^[\w.-]+\/[\w.-]+(#.*)?$/i;

/**
 * Dependencies the sandbox cannot install: given as a git, GitHub or http(s) URL, not a registry
 * version. The sandbox reaches only the package registry, so npm would fail on them with a network
 * error; this names them first, in a sentence.
 */
export function unreachableDependencies(files: FileInput[]): string | null {
  const manifest = manifestOf(files);
  if (!manifest) return null;
  const offending: string[] = [];
  for (const deps of [manifest.dependencies, manifest.devDependencies]) {
    for (const [name, spec] of Object.entries(deps ?? {})) {
      if (typeof spec === "string" && NON_REGISTRY_SPEC.test(spec.trim())) offending.push(`${name} (${spec})`);
    }
  }
  if (offending.length === 0) return null;
  return `package.json asks for ${offending.join(", ")} from outside the package registry. The sandbox reaches only the registry: use a published version instead (e.g. "^1.2.3").`;
}
