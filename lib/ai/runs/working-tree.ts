import { normalizeProjectPath } from "@/lib/files/paths";
import type { FileInput } from "@/lib/store/types";

/**
 * The project's files as a run changes them, in memory. Roles write into it
 * as their output streams; the run saves the difference from the starting
 * tree as one version when it ends (also when it fails, so nothing already
 * produced is lost).
 */
export class WorkingTree {
  private readonly files = new Map<string, string>();
  private readonly initial: ReadonlyMap<string, string>;

  constructor(initial: readonly FileInput[] = []) {
    for (const f of initial) this.files.set(normalizeProjectPath(f.path), f.content);
    this.initial = new Map(this.files);
  }

  /** Throws StoreError("invalid") for a path that could escape the project. */
  static normalize(path: string): string {
    return normalizeProjectPath(path);
  }

  get(path: string): string | undefined {
    return this.files.get(path);
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  write(path: string, content: string): void {
    this.files.set(path, content);
  }

  delete(path: string): boolean {
    return this.files.delete(path);
  }

  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  snapshot(): Map<string, string> {
    return new Map(this.files);
  }

  list(): FileInput[] {
    return this.paths().map((path) => ({ path, content: this.files.get(path)! }));
  }

  /** Writes and deletes that turn `base` (default: the starting tree) into the current tree. */
  diff(base: ReadonlyMap<string, string> = this.initial): { files: FileInput[]; deletes: string[] } {
    const files: FileInput[] = [];
    for (const path of this.paths()) {
      const content = this.files.get(path)!;
      if (base.get(path) !== content) files.push({ path, content });
    }
    const deletes = [...base.keys()].filter((path) => !this.files.has(path)).sort();
    return { files, deletes };
  }
}
