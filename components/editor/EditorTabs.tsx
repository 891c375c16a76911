"use client";

import { useRef } from "react";
import { basename } from "@/lib/client/file-tree";
import { useWorkspace } from "@/lib/client/workspace-store";

/** Open files as tabs: click to switch, middle-click or × to close (a draft survives closing), arrows to move. */
export function EditorTabs() {
  const openPaths = useWorkspace((s) => s.openPaths);
  const activePath = useWorkspace((s) => s.activePath);
  const drafts = useWorkspace((s) => s.drafts);
  const streamingPaths = useWorkspace((s) => s.streamingPaths);
  const openFile = useWorkspace((s) => s.openFile);
  const closeFile = useWorkspace((s) => s.closeFile);
  const refs = useRef(new Map<string, HTMLButtonElement>());

  if (openPaths.length === 0) return null;

  const move = (index: number) => {
    const path = openPaths[(index + openPaths.length) % openPaths.length];
    openFile(path);
    refs.current.get(path)?.focus();
  };

  return (
    <div
      role="tablist"
      aria-label="Open files"
      className="flex shrink-0 overflow-x-auto border-b border-zinc-800 bg-zinc-950"
    >
      {openPaths.map((path, index) => {
        const active = path === activePath;
        const unsaved = drafts[path] !== undefined;
        return (
          <div
            key={path}
            className={`group flex shrink-0 items-center border-r border-zinc-800 ${
              active ? "bg-zinc-900 text-zinc-50" : "text-zinc-400 hover:bg-zinc-900/60"
            }`}
            onAuxClick={(e) => {
              if (e.button === 1) {
                e.preventDefault();
                closeFile(path);
              }
            }}
          >
            <button
              ref={(el) => {
                if (el) refs.current.set(path, el);
                else refs.current.delete(path);
              }}
              type="button"
              role="tab"
              aria-selected={active}
              tabIndex={active ? 0 : -1}
              title={path}
              onClick={() => openFile(path)}
              onKeyDown={(e) => {
                if (e.key === "ArrowRight") move(index + 1);
                else if (e.key === "ArrowLeft") move(index - 1);
                else if (e.key === "Delete") closeFile(path);
                else return;
                e.preventDefault();
              }}
              className="flex items-center gap-1.5 py-1.5 pr-1 pl-3 text-xs"
            >
              <span>{basename(path)}</span>
              {streamingPaths.includes(path) && (
                <span className="animate-pulse text-[10px] text-brand-300">writing…</span>
              )}
              {unsaved && (
                <span className="text-brand-300" aria-label="unsaved changes">
                  ●
                </span>
              )}
            </button>
            <button
              type="button"
              aria-label={`Close ${path}`}
              title="Close (middle-click)"
              onClick={() => closeFile(path)}
              className="mr-1 rounded px-1 text-xs text-zinc-500 hover:bg-zinc-700 hover:text-zinc-100"
            >
              ×
            </button>
          </div>
        );
      })}
    </div>
  );
}
