"use client";

import { useEffect, useRef } from "react";
import type { RunState } from "@/lib/client/run-state";
import { useWorkspace } from "@/lib/client/workspace-store";

/** Marks the files a run is writing right now in the file tree and the editor's tabs (the Run panel and the chat), and clears the marks on unmount. */
export function useStreamingMarks(state: RunState) {
  const setStreaming = useWorkspace((s) => s.setStreaming);
  const marked = useRef<Set<string>>(new Set());
  useEffect(() => {
    const writing = new Set(state.files.filter((f) => f.activity === "writing").map((f) => f.path));
    for (const path of marked.current) if (!writing.has(path)) setStreaming(path, false);
    for (const path of writing) if (!marked.current.has(path)) setStreaming(path, true);
    marked.current = writing;
  }, [state.files, setStreaming]);
  useEffect(
    () => () => {
      for (const path of marked.current) useWorkspace.getState().setStreaming(path, false);
    },
    [],
  );
}
