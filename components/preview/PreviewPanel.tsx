"use client";

import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { buttonSecondary } from "@/components/ui/styles";
import { useWorkspace } from "@/lib/client/workspace-store";
import type { BuildResult, PreviewStatus } from "@/lib/preview/service";
import LivePreview from "./LivePreview";

const smallButton = `${buttonSecondary} px-2 py-1 text-xs`;

type Build =
  | { kind: "idle" }
  | { kind: "building" }
  | { kind: "done"; result: BuildResult; version: number | null }
  | { kind: "error"; message: string };

async function errorMessage(response: Response, fallback: string): Promise<string> {
  const body = (await response.json().catch(() => null)) as { message?: string } | null;
  return body?.message ?? `${fallback} (HTTP ${response.status}).`;
}

/**
 * The project's preview: its running app (when it has one to run: a dev or
 * start script, or a Python entry point), or its files — static, or the
 * output of `npm run build` in the sandbox.
 */
export default function PreviewPanel({ projectId }: { projectId: string }) {
  const [view, setView] = useState<"app" | "files">("app");
  const [hasApp, setHasApp] = useState(true);
  const noApp = useCallback(() => {
    setHasApp(false);
    setView("files");
  }, []);
  const viewTab = (name: "app" | "files", label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={view === name}
      onClick={() => setView(name)}
      className={`px-2 py-1 ${view === name ? "border-b-2 border-sky-500 text-zinc-100" : "text-zinc-400 hover:text-zinc-200"}`}
    >
      {label}
    </button>
  );
  return (
    <section aria-label="Preview" className="flex h-full min-h-0 flex-col bg-zinc-950">
      {hasApp && (
        <div role="tablist" aria-label="Preview mode" className="flex gap-1 border-b border-zinc-800 px-2 text-xs">
          {viewTab("app", "Running app")}
          {viewTab("files", "Files")}
        </div>
      )}
      {view === "app" ? <LivePreview projectId={projectId} onNoApp={noApp} /> : <FilesPreview projectId={projectId} />}
    </section>
  );
}

/**
 * Static files, or the output of `npm run build` in the sandbox, in an iframe
 * that runs with an opaque origin (no cookies, storage or DOM of the app) and
 * the CSP the preview route sends.
 */
function FilesPreview({ projectId }: { projectId: string }) {
  const [build, setBuild] = useState<Build>({ kind: "idle" });
  const savedVersion = useWorkspace((s) => s.savedVersion);
  const seenVersion = useRef(savedVersion);
  const base = `/api/projects/${encodeURIComponent(projectId)}/preview`;

  const query = useQuery({
    queryKey: ["project", projectId, "preview"],
    queryFn: async (): Promise<PreviewStatus> => {
      let response: Response;
      try {
        response = await fetch(base, { cache: "no-store" });
      } catch {
        throw new Error("The app could not be reached. Check your connection.");
      }
      if (!response.ok) throw new Error(await errorMessage(response, "The preview could not be loaded"));
      return (await response.json()) as PreviewStatus;
    },
    staleTime: 0,
    retry: false,
  });
  const { refetch } = query;

  // A save, restore or finished run changes the files: show them.
  useEffect(() => {
    if (seenVersion.current === savedVersion) return;
    seenVersion.current = savedVersion;
    void refetch();
  }, [savedVersion, refetch]);

  const runBuild = async () => {
    setBuild({ kind: "building" });
    try {
      const response = await fetch(`${base}/build`, { method: "POST" });
      if (!response.ok) {
        setBuild({ kind: "error", message: await errorMessage(response, "The build could not be started") });
        return;
      }
      setBuild({ kind: "done", result: (await response.json()) as BuildResult, version: savedVersion });
      await refetch();
    } catch {
      setBuild({ kind: "error", message: "The app could not be reached. Check your connection." });
    }
  };

  const status = query.data ?? null;
  const plan = status?.plan;
  const canBuild = Boolean(status?.buildScript);
  const staleBuild = plan?.mode === "build" && build.kind === "done" && build.version !== savedVersion;

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-800 px-3 py-1.5 text-xs">
        <span className="text-zinc-300" role="status" data-testid="preview-status">
          {query.isPending && "Loading preview…"}
          {query.isError && "Preview unavailable"}
          {plan?.mode === "static" && `Static files${plan.root ? ` from ${plan.root}/` : ""}`}
          {plan?.mode === "build" && `Build output from ${plan.outDir}/`}
          {(plan?.mode === "needs_build" || plan?.mode === "none") && "No preview yet"}
          {build.kind === "building" && " · building…"}
        </span>
        <span className="flex-1" />
        {canBuild && (
          <button type="button" className={smallButton} onClick={() => void runBuild()} disabled={build.kind === "building"}>
            {build.kind === "building" ? "Building…" : plan?.mode === "build" ? "Rebuild preview" : "Build preview"}
          </button>
        )}
        <button type="button" className={smallButton} onClick={() => void refetch()} aria-label="Reload preview">
          Reload
        </button>
      </div>

      {query.isError && (
        <p role="alert" className="m-3 rounded-md border border-red-900 bg-red-950/40 p-3 text-sm text-red-200">
          {query.error.message}
        </p>
      )}
      {(plan?.mode === "needs_build" || plan?.mode === "none") && (
        <p className="m-3 text-sm text-zinc-400" data-testid="preview-reason">
          {plan.reason}
        </p>
      )}
      {staleBuild && (
        <p className="mx-3 mt-2 text-xs text-amber-300">Saved changes are not in this build yet. Rebuild to see them.</p>
      )}
      {plan?.mode === "static" && (
        <p className="mx-3 mt-1 text-xs text-zinc-500">
          Static preview: the page runs isolated, so its own server and network requests are not available here; “Running app” runs its server.
        </p>
      )}

      <BuildReport build={build} />

      {status?.url && (
        <iframe
          // A fresh load (Reload, a save) remounts the frame, so the page starts over.
          key={query.dataUpdatedAt}
          src={status.url}
          title="Project preview"
          sandbox="allow-scripts allow-forms"
          referrerPolicy="no-referrer"
          className="m-2 min-h-48 flex-1 rounded border border-zinc-800 bg-white"
        />
      )}
    </div>
  );
}

function BuildReport({ build }: { build: Build }) {
  if (build.kind === "building") {
    return (
      <p role="status" className="mx-3 mt-2 text-sm text-zinc-300">
        Running <code>npm run build</code> in the sandbox…
      </p>
    );
  }
  if (build.kind === "error") {
    return (
      <p role="alert" className="m-3 rounded-md border border-red-900 bg-red-950/40 p-3 text-sm text-red-200">
        {build.message}
      </p>
    );
  }
  if (build.kind !== "done") return null;
  const { result } = build;
  const output = [result.stdout, result.stderr].filter((s) => s.trim() !== "").join("\n");
  return (
    <details className="mx-3 mt-2 text-xs" open={!result.ok}>
      <summary className="cursor-pointer text-zinc-300">
        {result.ok ? "Build succeeded" : "Build failed"} · exit code {result.exitCode ?? "–"} ({result.status})
      </summary>
      {result.problem && (
        <p role="alert" className="mt-1 text-red-300">
          {result.problem}
        </p>
      )}
      {output && (
        <pre className="mt-1 max-h-40 overflow-auto rounded bg-zinc-900 p-2 whitespace-pre-wrap text-zinc-300">{output}</pre>
      )}
    </details>
  );
}
