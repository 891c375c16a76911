"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { buildTree, dirname, visibleRows, type TreeNode } from "@/lib/client/file-tree";
import { filesKey } from "@/lib/client/query-keys";
import { useSaveFiles } from "@/lib/client/use-save-files";
import { fetchFiles } from "@/lib/client/workspace-api";
import { useWorkspace } from "@/lib/client/workspace-store";
import { assertValidTree, normalizeProjectPath } from "@/lib/files/paths";
import { PanelError, SkeletonLines } from "./PanelStates";

type Editing = { mode: "create"; folder: string } | { mode: "rename"; path: string };

/** Checks a new file path with the server's own rules, plus "already exists" and file/folder clashes. */
function validateNewPath(input: string, existing: string[]): { path: string } | { error: string } {
  try {
    const path = normalizeProjectPath(input);
    if (existing.includes(path)) return { error: `${path} already exists.` };
    assertValidTree([...existing, path]);
    return { path };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

export function FileTree({ projectId, onOpenFile }: { projectId: string; onOpenFile?: () => void }) {
  const files = useQuery({ queryKey: filesKey(projectId), queryFn: () => fetchFiles(projectId) });
  const drafts = useWorkspace((s) => s.drafts);
  const streamingPaths = useWorkspace((s) => s.streamingPaths);
  const activePath = useWorkspace((s) => s.activePath);
  const openFile = useWorkspace((s) => s.openFile);
  const renamePath = useWorkspace((s) => s.renamePath);
  const save = useSaveFiles(projectId);

  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [focused, setFocused] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const rowRefs = useRef(new Map<string, HTMLElement>());

  const latestVersion = files.data?.latestVersion ?? null;
  useEffect(() => {
    const { savedVersion, setSavedVersion } = useWorkspace.getState();
    if (latestVersion !== null && (savedVersion === null || latestVersion > savedVersion))
      setSavedVersion(latestVersion);
  }, [latestVersion]);

  const savedPaths = useMemo(() => files.data?.files.map((f) => f.path) ?? [], [files.data]);
  const tree = useMemo(() => buildTree([...savedPaths, ...streamingPaths]), [savedPaths, streamingPaths]);
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed]);
  const focusedRow = rows.find((r) => r.node.path === focused) ?? rows[0];

  // After a create or rename the row appears only once the list refetches; keyboard focus follows it then.
  const pendingFocus = useRef<string | null>(null);
  useEffect(() => {
    const path = pendingFocus.current;
    const row = path === null ? undefined : rowRefs.current.get(path);
    if (row) {
      pendingFocus.current = null;
      row.focus();
    }
  }, [rows]);

  const focusRow = (path: string) => {
    setFocused(path);
    rowRefs.current.get(path)?.focus();
  };

  const toggle = (path: string, open?: boolean) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (open ?? next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });

  const open = (path: string) => {
    openFile(path);
    onOpenFile?.();
  };

  const submitCreate = async (input: string, folder: string) => {
    const checked = validateNewPath(folder ? `${folder}/${input}` : input, savedPaths);
    if ("error" in checked) return checked.error;
    try {
      await save.mutateAsync({ files: [{ path: checked.path, content: "" }], message: `Create ${checked.path}` });
    } catch (err) {
      return errorMessage(err);
    }
    setEditing(null);
    setStatus(`Created ${checked.path}.`);
    open(checked.path);
    return null;
  };

  /** The saved files a row stands for: the file itself, or every file under a folder. */
  const filesUnder = (path: string) =>
    savedPaths.includes(path) ? [path] : savedPaths.filter((p) => p.startsWith(`${path}/`));

  /** Renames a file or a whole folder in one save (one version). */
  const submitRename = async (input: string, from: string) => {
    let target: string;
    let moves: Array<{ from: string; to: string }>;
    try {
      target = normalizeProjectPath(input);
      if (target === from) {
        setEditing(null);
        return null;
      }
      moves = filesUnder(from).map((p) => ({ from: p, to: target + p.slice(from.length) }));
      if (moves.length === 0) return `${from} has no saved files to rename.`;
      const moved = new Set(moves.map((m) => m.from));
      const remaining = savedPaths.filter((p) => !moved.has(p));
      const clash = moves.find((m) => remaining.includes(m.to));
      if (clash) return `${clash.to} already exists.`;
      for (const move of moves) normalizeProjectPath(move.to);
      assertValidTree([...remaining, ...moves.map((m) => m.to)]);
    } catch (err) {
      return errorMessage(err);
    }
    try {
      await save.mutateAsync({ renames: moves, message: `Rename ${from} to ${target}` });
    } catch (err) {
      return errorMessage(err);
    }
    for (const move of moves) renamePath(move.from, move.to);
    setEditing(null);
    setStatus(`Renamed ${from} to ${target}.`);
    setFocused(target);
    pendingFocus.current = target;
    return null;
  };

  /** Deletes a file, or a folder with everything in it, in one save after confirmation. */
  const remove = async (path: string) => {
    const paths = filesUnder(path);
    if (paths.length === 0) return;
    const isFolder = !savedPaths.includes(path);
    const unsavedCount = paths.filter((p) => drafts[p] !== undefined).length;
    const what = isFolder ? `the folder ${path} and its ${paths.length} file${paths.length === 1 ? "" : "s"}` : path;
    const unsaved = unsavedCount
      ? ` Unsaved changes in ${unsavedCount} file${unsavedCount === 1 ? "" : "s"} will be lost too.`
      : "";
    if (!window.confirm(`Delete ${what}? A new version is saved, so you can restore it later.${unsaved}`)) return;
    try {
      await save.mutateAsync({ deletes: paths, message: `Delete ${path}` });
      for (const p of paths) renamePath(p, null);
      setStatus(`Deleted ${path}.`);
    } catch (err) {
      setStatus(`Could not delete ${path}: ${errorMessage(err)}`);
    }
  };

  const onKeyDown = (event: React.KeyboardEvent, index: number) => {
    const row = rows[index];
    const node = row.node;
    switch (event.key) {
      case "ArrowDown":
        if (rows[index + 1]) focusRow(rows[index + 1].node.path);
        break;
      case "ArrowUp":
        if (rows[index - 1]) focusRow(rows[index - 1].node.path);
        break;
      case "Home":
        focusRow(rows[0].node.path);
        break;
      case "End":
        focusRow(rows[rows.length - 1].node.path);
        break;
      case "ArrowRight":
        if (node.kind === "folder") {
          if (collapsed.has(node.path)) toggle(node.path, true);
          else if (node.children[0]) focusRow(node.children[0].path);
        }
        break;
      case "ArrowLeft":
        if (node.kind === "folder" && !collapsed.has(node.path)) toggle(node.path, false);
        else if (row.parentPath) focusRow(row.parentPath);
        break;
      case "Enter":
      case " ":
        if (node.kind === "folder") toggle(node.path);
        else open(node.path);
        break;
      case "F2":
        if (filesUnder(node.path).length) setEditing({ mode: "rename", path: node.path });
        break;
      case "Delete":
        if (filesUnder(node.path).length) void remove(node.path);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  /** New files go into the folder the user last focused (or the file's folder); the top level otherwise. */
  const newFileFolder = () => {
    const node = rows.find((r) => r.node.path === focused)?.node;
    if (!node) return "";
    return node.kind === "folder" ? node.path : dirname(node.path);
  };

  return (
    <div className="flex h-full flex-col text-sm">
      <div className="flex shrink-0 items-center gap-1 border-b border-zinc-800/60 px-2 py-1">
        <span className="text-xs text-zinc-500">{savedPaths.length ? `${savedPaths.length} files` : ""}</span>
        <button
          type="button"
          onClick={() => setEditing({ mode: "create", folder: newFileFolder() })}
          disabled={!files.data}
          className="ml-auto rounded px-2 py-1 text-xs text-zinc-300 hover:bg-zinc-800 hover:text-zinc-50 disabled:opacity-50"
        >
          + New file
        </button>
      </div>

      <p role="status" aria-live="polite" className="sr-only">
        {status}
      </p>

      {editing?.mode === "create" && (
        <PathInput
          label="New file name"
          prefix={editing.folder ? `${editing.folder}/` : ""}
          initial=""
          busy={save.isPending}
          onSubmit={(value) => submitCreate(value, editing.folder)}
          onCancel={() => setEditing(null)}
        />
      )}

      {files.isPending ? (
        <SkeletonLines label="files" />
      ) : files.isError ? (
        <PanelError
          message={`Could not load files: ${errorMessage(files.error)}`}
          onRetry={() => void files.refetch()}
        />
      ) : rows.length === 0 ? (
        <p className="p-4 text-zinc-400" data-testid="files-empty">
          No files yet — describe your app in the Run panel.
        </p>
      ) : (
        <ul role="tree" aria-label="Files" className="min-h-0 flex-1 overflow-auto py-1" data-testid="file-tree">
          {rows.map((row, index) => {
            const node = row.node;
            if (editing?.mode === "rename" && editing.path === node.path) {
              return (
                <li key={node.path} role="none">
                  <PathInput
                    label={`New path for ${node.path}`}
                    prefix=""
                    initial={node.path}
                    busy={save.isPending}
                    onSubmit={(value) => submitRename(value, node.path)}
                    onCancel={() => {
                      setEditing(null);
                      focusRow(node.path);
                    }}
                  />
                </li>
              );
            }
            return (
              <TreeRow
                key={node.path}
                node={node}
                depth={row.depth}
                expanded={node.kind === "folder" ? !collapsed.has(node.path) : undefined}
                focusable={node.path === focusedRow?.node.path}
                active={node.path === activePath}
                unsaved={node.kind === "file" && drafts[node.path] !== undefined}
                writing={streamingPaths.includes(node.path)}
                saved={filesUnder(node.path).length > 0}
                registerRow={(el) => {
                  if (el) rowRefs.current.set(node.path, el);
                  else rowRefs.current.delete(node.path);
                }}
                onFocus={() => setFocused(node.path)}
                onActivate={() => (node.kind === "folder" ? toggle(node.path) : open(node.path))}
                onKeyDown={(e) => onKeyDown(e, index)}
                onRename={() => setEditing({ mode: "rename", path: node.path })}
                onDelete={() => void remove(node.path)}
              />
            );
          })}
        </ul>
      )}
    </div>
  );
}

interface TreeRowProps {
  node: TreeNode;
  depth: number;
  expanded: boolean | undefined;
  focusable: boolean;
  active: boolean;
  unsaved: boolean;
  writing: boolean;
  saved: boolean;
  registerRow(el: HTMLElement | null): void;
  onFocus(): void;
  onActivate(): void;
  onKeyDown(event: React.KeyboardEvent): void;
  onRename(): void;
  onDelete(): void;
}

function TreeRow({
  node,
  depth,
  expanded,
  focusable,
  active,
  unsaved,
  writing,
  saved,
  registerRow,
  onFocus,
  onActivate,
  onKeyDown,
  onRename,
  onDelete,
}: TreeRowProps) {
  const isFile = node.kind === "file";
  return (
    <li
      ref={registerRow}
      role="treeitem"
      aria-level={depth + 1}
      aria-expanded={expanded}
      aria-selected={active}
      aria-label={`${node.name}${isFile ? "" : " folder"}${unsaved ? ", unsaved changes" : ""}${writing ? ", being written" : ""}`}
      tabIndex={focusable ? 0 : -1}
      onFocus={(e) => {
        if (e.target === e.currentTarget) onFocus();
      }}
      onClick={(e) => {
        if (e.target === e.currentTarget || !(e.target as HTMLElement).closest("button")) onActivate();
      }}
      onKeyDown={(e) => {
        if (e.target === e.currentTarget) onKeyDown(e);
      }}
      className={`group flex cursor-pointer items-center gap-1 py-0.5 pr-1 outline-none select-none focus-visible:ring-2 focus-visible:ring-brand-400 focus-visible:ring-inset ${
        active ? "bg-zinc-800 text-zinc-50" : "text-zinc-300 hover:bg-zinc-900"
      }`}
      style={{ paddingLeft: 8 + depth * 12 }}
      title={node.path}
    >
      <span aria-hidden="true" className="w-3 shrink-0 text-center text-[10px] text-zinc-500">
        {isFile ? "" : expanded ? "▾" : "▸"}
      </span>
      <span className={`min-w-0 flex-1 truncate ${isFile ? "" : "font-medium text-zinc-200"}`}>{node.name}</span>
      {writing && (
        <span className="shrink-0 animate-pulse text-[10px] text-brand-300" aria-hidden="true">
          writing…
        </span>
      )}
      {unsaved && (
        <span className="shrink-0 text-brand-300" aria-hidden="true" title="Unsaved changes">
          ●
        </span>
      )}
      {saved && (
        <span className="hidden shrink-0 gap-0.5 group-focus-within:flex group-hover:flex">
          <button
            type="button"
            tabIndex={-1}
            aria-label={`Rename ${node.path}`}
            title="Rename (F2)"
            onClick={onRename}
            className="rounded px-1 text-xs text-zinc-400 hover:bg-zinc-700 hover:text-zinc-50"
          >
            ✎
          </button>
          <button
            type="button"
            tabIndex={-1}
            aria-label={`Delete ${node.path}`}
            title="Delete (Del)"
            onClick={onDelete}
            className="rounded px-1 text-xs text-zinc-400 hover:bg-red-900 hover:text-red-100"
          >
            ✕
          </button>
        </span>
      )}
    </li>
  );
}

interface PathInputProps {
  label: string;
  prefix: string;
  initial: string;
  busy: boolean;
  /** Resolves to an error message to show, or null when done. */
  onSubmit(value: string): Promise<string | null>;
  onCancel(): void;
}

/** Inline name field for create and rename: Enter submits, Escape cancels, errors shown under it. */
function PathInput({ label, prefix, initial, busy, onSubmit, onCancel }: PathInputProps) {
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const errorId = `${label.replace(/\W+/g, "-")}-error`;
  return (
    <form
      className="px-2 py-1"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!value.trim()) return setError("Enter a file name.");
        setError(await onSubmit(value.trim()));
      }}
    >
      <label className="sr-only" htmlFor={`${errorId}-input`}>
        {label}
      </label>
      <div className="flex items-center gap-1">
        {prefix && <span className="max-w-[40%] truncate text-xs text-zinc-500">{prefix}</span>}
        <input
          id={`${errorId}-input`}
          autoFocus
          value={value}
          disabled={busy}
          onChange={(e) => {
            setValue(e.target.value);
            setError(null);
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              e.preventDefault();
              onCancel();
            }
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          placeholder="e.g. src/utils.ts"
          className="min-w-0 flex-1 rounded border border-zinc-600 bg-zinc-900 px-2 py-1 text-xs text-zinc-100 aria-[invalid=true]:border-red-500"
        />
      </div>
      {error && (
        <p id={errorId} role="alert" className="mt-1 text-xs text-red-300">
          {error}
        </p>
      )}
      <p className="mt-1 text-[10px] text-zinc-500">Enter to save · Esc to cancel</p>
    </form>
  );
}
