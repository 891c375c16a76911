import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getRunnerConfig } from "../src/config";
import {
  createWorkspace,
  normalizeWorkspacePath,
  readWorkspaceFile,
  removeWorkspace,
  writeWorkspaceFile,
  type Workspace,
} from "../src/sandbox/workspace";

describe("normalizeWorkspacePath", () => {
  it("normalizes harmless forms", () => {
    expect(normalizeWorkspacePath("src//./main.py")).toBe("src/main.py");
  });

  it.each([
    ["../etc/passwd", '".."'],
    ["a/../../b", '".."'],
    ["/etc/passwd", "relative"],
    ["a\0b", "NUL"],
    ["a\\b", "backslash"],
    ["", "empty"],
    [".", "names no file"],
    ["x".repeat(300), "longer than"],
  ])("refuses %j", (input, reason) => {
    expect(() => normalizeWorkspacePath(input)).toThrow(reason);
  });
});

describe("workspace files on the host", () => {
  let workspace: Workspace;
  let hostFile: string;

  beforeEach(() => {
    workspace = createWorkspace();
    hostFile = path.join(os.tmpdir(), `autocrea-host-${process.pid}-${Date.now()}`);
    writeFileSync(hostFile, "host secret");
  });

  afterEach(() => {
    removeWorkspace(workspace);
  });

  it("creates the workspace owned by the sandbox uid, not listable by others", () => {
    const stat = statSync(workspace.dir);
    expect(stat.uid).toBe(getRunnerConfig().sandboxUid);
    expect(stat.mode & 0o777).toBe(0o700);
  });

  it("writes nested files owned by the sandbox uid and reads them back", () => {
    writeWorkspaceFile(workspace, "src/pkg/main.py", "print(1)\n");
    writeWorkspaceFile(workspace, "src/pkg/main.py", "print(2)\n");
    expect(readWorkspaceFile(workspace, "src/pkg/main.py", 1024).toString()).toBe("print(2)\n");
    expect(statSync(path.join(workspace.dir, "src/pkg/main.py")).uid).toBe(getRunnerConfig().sandboxUid);
    expect(statSync(path.join(workspace.dir, "src/pkg")).uid).toBe(getRunnerConfig().sandboxUid);
  });

  it("does not follow a symlinked file when reading or writing", () => {
    symlinkSync(hostFile, path.join(workspace.dir, "link"));
    expect(() => readWorkspaceFile(workspace, "link", 1024)).toThrow("symlink");
    expect(() => writeWorkspaceFile(workspace, "link", "pwned")).toThrow("symlink");
    expect(readFileSync(hostFile, "utf8")).toBe("host secret");
  });

  it("does not follow a symlinked directory in the middle of a path", () => {
    const hostDir = path.dirname(hostFile);
    symlinkSync(hostDir, path.join(workspace.dir, "dir"));
    expect(() => readWorkspaceFile(workspace, `dir/${path.basename(hostFile)}`, 1024)).toThrow("not a directory");
    expect(() => writeWorkspaceFile(workspace, `dir/${path.basename(hostFile)}`, "pwned")).toThrow("not a directory");
    expect(readFileSync(hostFile, "utf8")).toBe("host secret");
  });

  it("refuses FIFOs and directories instead of blocking or misreading", () => {
    execFileSync("mkfifo", [path.join(workspace.dir, "fifo")]);
    mkdirSync(path.join(workspace.dir, "folder"));
    expect(() => readWorkspaceFile(workspace, "fifo", 1024)).toThrow("not a regular file");
    expect(() => writeWorkspaceFile(workspace, "fifo", "x")).toThrow("not a regular file");
    expect(() => readWorkspaceFile(workspace, "folder", 1024)).toThrow("not a regular file");
  });

  it("refuses to read a file larger than asked", () => {
    writeWorkspaceFile(workspace, "big.txt", "x".repeat(2048));
    expect(() => readWorkspaceFile(workspace, "big.txt", 1024)).toThrow("larger than 1024 bytes");
  });
});
