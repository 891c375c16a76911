import { buildScriptOf, staticRootOf } from "@/lib/preview/plan";
import type { DeployFile, DeploymentProvider } from "./types";

/**
 * Which files a provider receives. Vercel and Railway build the project
 * themselves, so they get every file. A Netlify file upload is served as it
 * is (Netlify runs no build for it), so Netlify gets the folder holding the
 * site's index.html (the root, public/ or dist/) as its root, and the log
 * says so — or warns when there is only a build script and nothing to serve.
 */
export interface UploadPlan {
  files: DeployFile[];
  notes: string[];
}

export function uploadPlan(provider: DeploymentProvider, files: DeployFile[]): UploadPlan {
  if (provider !== "netlify") return { files, notes: [] };
  const root = staticRootOf(files);
  const hasBuild = buildScriptOf(files) !== null;
  if (root === null) {
    return {
      files,
      notes: [
        hasBuild
          ? "Warning: Netlify serves uploaded files as they are and does not run `npm run build`; this project has no index.html to serve yet. Deploy to Vercel or Railway to have it built."
          : "Warning: there is no index.html at the root, in public/ or in dist/, so Netlify will have no home page to serve.",
      ],
    };
  }
  if (root === "") return { files, notes: [] };
  const prefix = `${root}/`;
  return {
    files: files.filter((f) => f.path.startsWith(prefix)).map((f) => ({ path: f.path.slice(prefix.length), content: f.content })),
    notes: [`Publishing ${root}/ as the site's root (Netlify serves uploaded files as they are).`],
  };
}
