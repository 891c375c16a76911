"use client";

import { DiffEditor, type DiffOnMount } from "@monaco-editor/react";
import { useState } from "react";
import { configureMonaco, EDITOR_OPTIONS, monacoLanguage } from "@/components/editor/monaco-setup";
import { PanelLoading } from "@/components/workspace/PanelStates";
import { diffHeightPx, DIFF_MAX_PX } from "@/lib/client/change-review";
import { languageForPath } from "@/lib/files/paths";

interface FileDiffProps {
  projectId: string;
  path: string;
  before: { version: number; content: string };
  after: { version: number; content: string };
}

const DIFF_OPTIONS = {
  ...EDITOR_OPTIONS,
  readOnly: true,
  // The run panel is narrow: one column, long lines wrapped, what did not change folded away.
  renderSideBySide: false,
  wordWrap: "on",
  diffWordWrap: "on",
  hideUnchangedRegions: { enabled: true },
  renderOverviewRuler: false,
  lineNumbersMinChars: 3,
} as const;

/** Monaco's read-only inline diff of one file between two versions. */
export default function FileDiff({ projectId, path, before, after }: FileDiffProps) {
  // A first guess from the line counts, then the height Monaco lays the diff out in (folded regions make it shorter).
  const [height, setHeight] = useState(() => diffHeightPx(before.content, after.content));

  const onMount: DiffOnMount = (editor) => {
    const modified = editor.getModifiedEditor();
    // +2: the box's border, so the content fits without a scrollbar.
    const fit = () => setHeight(Math.min(DIFF_MAX_PX, Math.max(modified.getContentHeight(), 60) + 2));
    modified.onDidContentSizeChange(fit);
    fit();
  };

  return (
    <div style={{ height }} className="overflow-hidden rounded border border-zinc-800">
      <DiffEditor
        original={before.content}
        modified={after.content}
        // Versions never change, so a model named by project, version and path can be kept and reused safely.
        originalModelPath={`change/${projectId}/v${before.version}/${path}`}
        modifiedModelPath={`change/${projectId}/v${after.version}/${path}`}
        language={monacoLanguage(languageForPath(path))}
        theme="vs-dark"
        beforeMount={configureMonaco}
        onMount={onMount}
        keepCurrentOriginalModel
        keepCurrentModifiedModel
        loading={<PanelLoading label="diff" />}
        options={DIFF_OPTIONS}
      />
    </div>
  );
}
