// Copies Monaco's AMD build (node_modules/monaco-editor/min/vs) to public/monaco/vs,
// so the editor loads from this app instead of a CDN. Skips the copy when the
// installed version is already there. public/monaco is git-ignored.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "node_modules/monaco-editor/min/vs");
const target = path.join(root, "public/monaco/vs");
const stamp = path.join(root, "public/monaco/.version");

if (!existsSync(source)) {
  console.warn("[copy-monaco] node_modules/monaco-editor is not installed; skipping.");
  process.exit(0);
}
const { version } = JSON.parse(readFileSync(path.join(root, "node_modules/monaco-editor/package.json"), "utf8"));
if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === version && existsSync(path.join(target, "loader.js"))) {
  process.exit(0);
}
rmSync(target, { recursive: true, force: true });
mkdirSync(path.dirname(target), { recursive: true });
cpSync(source, target, { recursive: true });
writeFileSync(stamp, `${version}\n`);
console.log(`[copy-monaco] monaco-editor ${version} → public/monaco/vs`);
