"use client";

import Editor, { type OnMount } from "@monaco-editor/react";
import { useEffect, useRef } from "react";
import { useWorkspace } from "@/lib/client/workspace-store";
import { PanelLoading } from "@/components/workspace/PanelStates";
import { configureMonaco, EDITOR_OPTIONS, monacoLanguage } from "./monaco-setup";

interface CodeEditorProps {
  path: string;
  language: string;
  /** The saved content; the draft (if any) from the store is shown over it. */
  savedContent: string;
  onSave(): void;
}

/** Monaco for one file: edits become drafts, Ctrl/Cmd-S saves, selections go to the store for the AI panel. */
export default function CodeEditor({ path, language, savedContent, onSave }: CodeEditorProps) {
  const draft = useWorkspace((s) => s.drafts[path]);
  const onSaveRef = useRef(onSave);
  const savedRef = useRef(savedContent);
  const pathRef = useRef(path);
  useEffect(() => {
    onSaveRef.current = onSave;
    savedRef.current = savedContent;
    pathRef.current = path;
  });

  const onMount: OnMount = (editor, monaco) => {
    // Models outlive tabs (undo history survives switching files); one left from
    // before a rename, delete or run may be stale, so bring it up to date.
    const model = editor.getModel();
    const expected = useWorkspace.getState().drafts[path] ?? savedRef.current;
    if (model && model.getValue() !== expected) model.setValue(expected);
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => onSaveRef.current());
    editor.onDidChangeCursorSelection(() => {
      const model = editor.getModel();
      const selection = editor.getSelection();
      if (!model || !selection) return;
      const text = selection.isEmpty() ? "" : model.getValueInRange(selection);
      useWorkspace
        .getState()
        .setSelection(
          text
            ? { path: pathRef.current, text, startLine: selection.startLineNumber, endLine: selection.endLineNumber }
            : null,
        );
    });
    editor.focus();
  };

  return (
    <Editor
      path={path}
      language={monacoLanguage(language)}
      value={draft ?? savedContent}
      theme="vs-dark"
      options={EDITOR_OPTIONS}
      keepCurrentModel
      loading={<PanelLoading label="editor" />}
      beforeMount={configureMonaco}
      onMount={onMount}
      onChange={(value) => {
        const store = useWorkspace.getState();
        if (value === undefined) return;
        if (value === savedRef.current) store.discardDraft(pathRef.current);
        else store.setDraft(pathRef.current, value);
      }}
    />
  );
}
