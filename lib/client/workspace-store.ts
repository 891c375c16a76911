"use client";

import { create } from "zustand";

/**
 * Client-side state of one open workspace (zustand). Server data (files,
 * versions, runs) lives in @tanstack/react-query; this holds what the user is
 * doing with it. Panels read and write it:
 *   editor   → openPaths, activePath, drafts, selection
 *   run      → activeRunId; live file events mark paths in streamingPaths
 *   chat     → activeRunId for the change it started; panelRequest brings a panel forward
 *   terminal → watches savedVersion to re-sync the runner session
 */

export interface EditorSelection {
  path: string;
  text: string;
  startLine: number;
  endLine: number;
}

export interface WorkspaceState {
  projectId: string | null;
  /** Tabs, in order. */
  openPaths: string[];
  activePath: string | null;
  /** Unsaved edits: path → content. A path in here shows the unsaved marker. */
  drafts: Record<string, string>;
  selection: EditorSelection | null;
  /** The number of the newest version the client knows of; bumps after each save/restore/run. */
  savedVersion: number | null;
  activeRunId: string | null;
  /** Paths a running generation is writing right now. */
  streamingPaths: string[];
  /** A panel something asked to bring forward ("chat" for "Ask for a fix"); `seq` tells a new ask from an old one. */
  panelRequest: { panel: string; seq: number } | null;

  reset(projectId: string): void;
  openFile(path: string): void;
  closeFile(path: string): void;
  setDraft(path: string, content: string): void;
  discardDraft(path: string): void;
  setSelection(selection: EditorSelection | null): void;
  setSavedVersion(version: number | null): void;
  setActiveRun(runId: string | null): void;
  setStreaming(path: string, streaming: boolean): void;
  showPanel(panel: string): void;
  /** After a rename or delete: tabs and drafts follow the file. */
  renamePath(from: string, to: string | null): void;
}

const initial = {
  projectId: null,
  openPaths: [],
  activePath: null,
  drafts: {},
  selection: null,
  savedVersion: null,
  activeRunId: null,
  streamingPaths: [],
  panelRequest: null,
} satisfies Partial<WorkspaceState>;

export const useWorkspace = create<WorkspaceState>()((set) => ({
  ...initial,
  reset: (projectId) => set({ ...initial, projectId }),
  openFile: (path) =>
    set((s) => ({ openPaths: s.openPaths.includes(path) ? s.openPaths : [...s.openPaths, path], activePath: path })),
  closeFile: (path) =>
    set((s) => {
      const openPaths = s.openPaths.filter((p) => p !== path);
      const activePath = s.activePath === path ? (openPaths[openPaths.length - 1] ?? null) : s.activePath;
      return { openPaths, activePath };
    }),
  setDraft: (path, content) => set((s) => ({ drafts: { ...s.drafts, [path]: content } })),
  discardDraft: (path) =>
    set((s) => {
      const drafts = { ...s.drafts };
      delete drafts[path];
      return { drafts };
    }),
  setSelection: (selection) => set({ selection }),
  setSavedVersion: (savedVersion) => set({ savedVersion }),
  setActiveRun: (activeRunId) => set({ activeRunId }),
  setStreaming: (path, streaming) =>
    set((s) => ({
      streamingPaths: streaming
        ? s.streamingPaths.includes(path)
          ? s.streamingPaths
          : [...s.streamingPaths, path]
        : s.streamingPaths.filter((p) => p !== path),
    })),
  showPanel: (panel) => set((s) => ({ panelRequest: { panel, seq: (s.panelRequest?.seq ?? 0) + 1 } })),
  renamePath: (from, to) =>
    set((s) => {
      const drafts = { ...s.drafts };
      const draft = drafts[from];
      delete drafts[from];
      if (to && draft !== undefined) drafts[to] = draft;
      const openPaths = s.openPaths.flatMap((p) => (p === from ? (to ? [to] : []) : [p]));
      const activePath = s.activePath === from ? to : s.activePath;
      return { drafts, openPaths, activePath };
    }),
}));
