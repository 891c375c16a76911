/** Builds the nested tree the file panel shows from flat project paths. Pure. */

export interface TreeFile {
  kind: "file";
  name: string;
  path: string;
}

export interface TreeFolder {
  kind: "folder";
  name: string;
  path: string;
  children: TreeNode[];
}

export type TreeNode = TreeFile | TreeFolder;

/** Folders first, then files, each sorted by name (case-insensitive, numeric-aware). */
export function buildTree(paths: Iterable<string>): TreeNode[] {
  const root: TreeFolder = { kind: "folder", name: "", path: "", children: [] };
  const folders = new Map<string, TreeFolder>([["", root]]);
  for (const path of new Set(paths)) {
    const segments = path.split("/");
    let parent = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const folderPath = segments.slice(0, i + 1).join("/");
      let folder = folders.get(folderPath);
      if (!folder) {
        folder = { kind: "folder", name: segments[i], path: folderPath, children: [] };
        folders.set(folderPath, folder);
        parent.children.push(folder);
      }
      parent = folder;
    }
    parent.children.push({ kind: "file", name: segments[segments.length - 1], path });
  }
  sortTree(root);
  return root.children;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function sortTree(folder: TreeFolder): void {
  folder.children.sort((a, b) => (a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === "folder" ? -1 : 1));
  for (const child of folder.children) if (child.kind === "folder") sortTree(child);
}

export interface VisibleRow {
  node: TreeNode;
  depth: number;
  parentPath: string | null;
}

/** The rows a user sees, top to bottom, given which folders are collapsed. */
export function visibleRows(
  nodes: TreeNode[],
  collapsed: ReadonlySet<string>,
  depth = 0,
  parentPath: string | null = null,
): VisibleRow[] {
  const rows: VisibleRow[] = [];
  for (const node of nodes) {
    rows.push({ node, depth, parentPath });
    if (node.kind === "folder" && !collapsed.has(node.path)) {
      rows.push(...visibleRows(node.children, collapsed, depth + 1, node.path));
    }
  }
  return rows;
}

/** Folder part of a path ("" at the top level). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
