"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { buttonSecondary } from "@/components/ui/styles";
import { buildFixRequest, useFixRequest } from "@/lib/client/fix-request";
import { useWorkspace } from "@/lib/client/workspace-store";
import type { LivePreview as LivePreviewState } from "@/lib/preview/live";

const smallButton = `${buttonSecondary} px-2 py-1 text-xs`;

async function errorMessage(response: Response, fallback: string): Promise<string> {
  const body = (await response.json().catch(() => null)) as { message?: string } | null;
  return body?.message ?? `${fallback} (HTTP ${response.status}).`;
}

const STATE_TEXT = {
  installing: "Installing packages…",
  starting: "Starting the app…",
  ready: "Running",
  crashed: "The app crashed",
  failed: "The app could not start",
  stopped: "Not running",
} as const;

/**
 * The project's app running in its sandbox, seen through the preview proxy on an origin of its own
 * (so the frame may keep allow-same-origin: that origin is not AUTOCREA's). Shows what runs, its
 * state with the install's progress, the server log, and after a save either lets the dev server
 * reload or restarts the app (the sync answer says which).
 */
export default function LivePreview({ projectId, onNoApp }: { projectId: string; onNoApp: () => void }) {
  const base = `/api/projects/${encodeURIComponent(projectId)}/app`;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [path, setPath] = useState("/");
  const [frameKey, setFrameKey] = useState(0);
  const [log, setLog] = useState({ text: "", next: 0 });
  const savedVersion = useWorkspace((s) => s.savedVersion);
  const seenVersion = useRef(savedVersion);

  const query = useQuery({
    queryKey: ["project", projectId, "app"],
    queryFn: async (): Promise<LivePreviewState> => {
      const response = await fetch(base, { cache: "no-store" });
      if (!response.ok) throw new Error(await errorMessage(response, "The app's state could not be loaded"));
      return (await response.json()) as LivePreviewState;
    },
    refetchInterval: (q) => {
      const state = q.state.data?.app.state;
      return state === "installing" || state === "starting" ? 1000 : state === "ready" ? 5000 : false;
    },
    retry: false,
  });
  const live = query.data ?? null;
  const state = live?.app.state ?? "stopped";
  const { refetch } = query;

  useEffect(() => {
    if (live && !live.plan) onNoApp();
  }, [live, onNoApp]);

  // The log follows while the app runs.
  useEffect(() => {
    if (state === "stopped") return;
    let cancelled = false;
    let since = log.next;
    const tick = async () => {
      const response = await fetch(`${base}/logs?since=${since}`, { cache: "no-store" }).catch(() => null);
      if (!response?.ok || cancelled) return;
      const chunk = (await response.json()) as { text: string; next: number };
      since = chunk.next;
      if (chunk.text) setLog((current) => ({ text: (current.text + chunk.text).slice(-64 * 1024), next: chunk.next }));
    };
    void tick();
    const timer = setInterval(() => void tick(), state === "ready" ? 3000 : 1000);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
    // `log.next` is read once per state change on purpose: the interval carries it on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state, base]);

  // A save reaches the running app: the dev server reloads, or the app is restarted.
  useEffect(() => {
    if (seenVersion.current === savedVersion) return;
    seenVersion.current = savedVersion;
    if (state === "stopped") return;
    void (async () => {
      const response = await fetch(`/api/projects/${encodeURIComponent(projectId)}/terminal/sync`, { method: "POST" }).catch(() => null);
      if (response?.ok) {
        const result = (await response.json()) as { app: "reloads" | "restarted" | null };
        if (result.app === "restarted") await refetch();
      }
    })();
  }, [savedVersion, state, projectId, refetch]);

  const act = async (method: "POST" | "DELETE") => {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(base, { method });
      if (!response.ok) setError(await errorMessage(response, method === "POST" ? "The app could not be started" : "The app could not be stopped"));
      if (method === "POST") setLog({ text: "", next: 0 });
      await refetch();
      setFrameKey((k) => k + 1);
    } catch {
      setError("The app could not be reached. Check your connection.");
    } finally {
      setBusy(false);
    }
  };

  const running = state === "installing" || state === "starting" || state === "ready";
  const lastLine = log.text.trimEnd().split("\n").at(-1) ?? "";
  const frameUrl = live?.url ? `${live.url}${path.startsWith("/") ? path : `/${path}`}` : null;

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-800 px-3 py-1.5 text-xs">
        <span className="text-zinc-300" role="status" data-testid="app-status">
          {query.isPending ? "Loading…" : STATE_TEXT[state]}
          {live?.plan && <span className="text-zinc-500"> · {live.plan.label}</span>}
        </span>
        <span className="flex-1" />
        {!running && (
          <button type="button" className={smallButton} onClick={() => void act("POST")} disabled={busy || !live?.plan}>
            {state === "stopped" ? "Run app" : "Start again"}
          </button>
        )}
        {running && (
          <>
            <button type="button" className={smallButton} onClick={() => void act("POST")} disabled={busy}>
              Restart
            </button>
            <button type="button" className={smallButton} onClick={() => void act("DELETE")} disabled={busy}>
              Stop
            </button>
          </>
        )}
      </div>

      {error && (
        <p role="alert" className="m-3 rounded-md border border-red-900 bg-red-950/40 p-3 text-sm text-red-200">
          {error}
        </p>
      )}
      {(state === "installing" || state === "starting") && (
        <p role="status" className="mx-3 mt-2 truncate font-mono text-xs text-zinc-400" data-testid="app-progress">
          {lastLine || STATE_TEXT[state]}
        </p>
      )}
      {(state === "crashed" || state === "failed") && live && (
        <div role="alert" className="m-3 rounded-md border border-red-900 bg-red-950/40 p-3 text-sm text-red-200">
          <p>{live.app.message}</p>
          {live.app.logTail && <pre className="mt-2 max-h-40 overflow-auto whitespace-pre-wrap text-xs text-red-100">{live.app.logTail}</pre>}
          <button
            type="button"
            className={`${smallButton} mt-2`}
            onClick={() =>
              useFixRequest.getState().ask(buildFixRequest([{ summary: live.app.message || STATE_TEXT[state], detail: live.app.logTail || log.text }]))
            }
          >
            Ask for a fix
          </button>
        </div>
      )}

      {state === "ready" && frameUrl && (
        <>
          <form
            className="flex items-center gap-2 px-3 pt-2 text-xs"
            onSubmit={(event) => {
              event.preventDefault();
              setFrameKey((k) => k + 1);
            }}
          >
            <label className="flex flex-1 items-center gap-1 text-zinc-400">
              Path
              <input
                value={path}
                onChange={(event) => setPath(event.target.value)}
                className="flex-1 rounded border border-zinc-800 bg-zinc-900 px-2 py-1 font-mono text-zinc-200"
                aria-label="Preview path"
              />
            </label>
            <button type="submit" className={smallButton} aria-label="Reload preview">
              Reload
            </button>
            <a className={smallButton} href={frameUrl} target="_blank" rel="noreferrer">
              Open in new tab
            </a>
          </form>
          <iframe
            // A restart (after a save the server does not reload itself) loads the page again.
            key={`${frameKey}:${live?.app.readyAt ?? 0}`}
            src={frameUrl}
            title="Live preview"
            // Its own origin (not AUTOCREA's): same-origin lets the app call its own API and keep its storage.
            sandbox="allow-scripts allow-forms allow-same-origin allow-modals allow-popups"
            referrerPolicy="no-referrer"
            className="m-2 min-h-48 flex-1 rounded border border-zinc-800 bg-white"
          />
        </>
      )}

      {log.text && (
        <details className="mx-3 mb-2 text-xs" open={state === "crashed" || state === "failed"}>
          <summary className="cursor-pointer text-zinc-400">Server log</summary>
          <pre className="mt-1 max-h-48 overflow-auto rounded bg-zinc-900 p-2 whitespace-pre-wrap text-zinc-300" data-testid="app-log">
            {log.text}
          </pre>
        </details>
      )}
    </div>
  );
}
