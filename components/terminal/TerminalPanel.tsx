"use client";

import "@xterm/xterm/css/xterm.css";
import { useEffect, useId, useRef, useState } from "react";
import { buttonSecondary } from "@/components/ui/styles";
import { useWorkspace } from "@/lib/client/workspace-store";
import { TerminalConnection, type TerminalStatus } from "./terminal-connection";

const smallButton = `${buttonSecondary} px-2 py-1 text-xs`;

function describe(status: TerminalStatus): string {
  switch (status.kind) {
    case "connecting":
      return "Connecting…";
    case "connected":
      return "Connected";
    case "reconnecting":
      return status.inSeconds > 0 ? `Reconnecting in ${status.inSeconds} s…` : "Reconnecting…";
    case "unreachable":
      return "The sandbox runner is not reachable";
    case "not_configured":
      return "Terminal not configured";
    case "exited":
      return `The shell exited (code ${status.code})`;
    case "error":
      return "The terminal could not be opened";
  }
}

const dotColor: Record<TerminalStatus["kind"], string> = {
  connecting: "bg-amber-400",
  reconnecting: "bg-amber-400",
  connected: "bg-emerald-400",
  unreachable: "bg-red-500",
  not_configured: "bg-zinc-500",
  exited: "bg-zinc-500",
  error: "bg-red-500",
};

/**
 * A shell in the project's sandbox session (xterm.js, loaded on first render).
 * The project's saved files are in its working directory and are re-synced
 * after every save.
 */
export default function TerminalPanel({ projectId }: { projectId: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const hintId = useId();
  const connectionRef = useRef<TerminalConnection | null>(null);
  const [status, setStatus] = useState<TerminalStatus>({ kind: "connecting" });
  const savedVersion = useWorkspace((s) => s.savedVersion);
  // The connection writes the files as they are now; later versions are synced.
  const syncedVersion = useRef(savedVersion);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    let disposed = false;
    let cleanup = () => {};

    void (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]);
      if (disposed) return;
      const term = new Terminal({
        cursorBlink: true,
        convertEol: false,
        fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
        fontSize: 13,
        scrollback: 5000,
        theme: { background: "#09090b", foreground: "#e4e4e7", cursor: "#a1a1aa" },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host);
      term.textarea?.setAttribute("aria-label", "Terminal input");
      term.textarea?.setAttribute("aria-describedby", hintId);
      // Tab belongs to the shell (completion); Esc then Tab leaves the terminal, so focus is never trapped.
      let escaped = false;
      term.attachCustomKeyEventHandler((event) => {
        if (event.type !== "keydown" || ["Shift", "Control", "Alt", "Meta"].includes(event.key)) return true;
        const leave = escaped && event.key === "Tab";
        escaped = event.key === "Escape";
        return !leave;
      });
      const safeFit = () => {
        try {
          if (host.clientWidth > 0 && host.clientHeight > 0) fit.fit();
        } catch {
          // Not laid out yet; the next resize fits.
        }
      };
      safeFit();

      const connection = new TerminalConnection(
        projectId,
        {
          write: (data, done) => term.write(data, done),
          reset: () => term.reset(),
          size: () => ({ cols: term.cols, rows: term.rows }),
        },
        (next) => {
          if (!disposed) setStatus(next);
        },
      );
      connectionRef.current = connection;
      const input = term.onData((data) => connection.send(data));
      const binary = term.onBinary((data) => connection.send(data));
      const resized = term.onResize(({ cols, rows }) => connection.resize(cols, rows));
      const observer = new ResizeObserver(() => safeFit());
      observer.observe(host);
      connection.connect();

      cleanup = () => {
        observer.disconnect();
        input.dispose();
        binary.dispose();
        resized.dispose();
        connection.dispose();
        connectionRef.current = null;
        term.dispose();
      };
    })();

    return () => {
      disposed = true;
      cleanup();
    };
  }, [projectId, hintId]);

  // Saved edits (and a finished run's files) reach the session's workspace: the shell sees what was saved.
  useEffect(() => {
    if (syncedVersion.current === savedVersion) return;
    syncedVersion.current = savedVersion;
    void fetch(`/api/projects/${encodeURIComponent(projectId)}/terminal/sync`, { method: "POST" }).catch(() => {
      // The next terminal connection writes the files anyway.
    });
  }, [projectId, savedVersion]);

  const canRetry = status.kind === "unreachable" || status.kind === "exited" || status.kind === "error";
  const detail = status.kind === "unreachable" || status.kind === "error" ? status.message : null;

  return (
    <section aria-label="Terminal" className="flex h-full min-h-0 flex-col bg-zinc-950">
      <div className="flex items-center gap-3 border-b border-zinc-800 px-3 py-1.5 text-xs">
        <span className="flex items-center gap-2 text-zinc-300" role="status" data-testid="terminal-status" data-state={status.kind}>
          <span aria-hidden="true" className={`inline-block h-2 w-2 rounded-full ${dotColor[status.kind]}`} />
          {describe(status)}
        </span>
        {detail && detail !== describe(status) && <span className="truncate text-zinc-500">{detail}</span>}
        <span className="flex-1" />
        <span id={hintId} className="hidden text-zinc-500 sm:inline">
          Esc then Tab leaves the terminal
        </span>
        {status.kind === "reconnecting" && (
          <button type="button" className={smallButton} onClick={() => connectionRef.current?.connect()}>
            Reconnect now
          </button>
        )}
        {canRetry && (
          <button type="button" className={smallButton} onClick={() => connectionRef.current?.connect()}>
            {status.kind === "exited" ? "Restart shell" : "Retry"}
          </button>
        )}
      </div>
      {status.kind === "not_configured" && (
        <p className="px-3 py-2 text-sm text-zinc-400">
          This server has no code runner (RUNNER_URL and RUNNER_SECRET are unset), so there is no terminal.
        </p>
      )}
      <div
        ref={hostRef}
        data-testid="terminal"
        className="min-h-0 flex-1 overflow-hidden p-1 focus-within:outline focus-within:outline-2 focus-within:outline-brand-500"
      />
    </section>
  );
}
