import type { WorkingTree } from "../runs/working-tree";

/**
 * The checks a change request runs, read from the project itself rather than asked of a model (a
 * change costs no tester call): install when there are dependencies, then the build and test
 * scripts the manifest declares; for Python, the requirements and unittest discovery.
 */
export function checksFor(tree: WorkingTree): string[] {
  const manifest = tree.get("package.json");
  if (manifest !== undefined) {
    let pkg: { scripts?: Record<string, unknown>; dependencies?: object; devDependencies?: object };
    try {
      pkg = JSON.parse(manifest) as typeof pkg;
    } catch {
      return ["npm install"]; // the install says what is wrong with the manifest
    }
    const commands: string[] = [];
    if ([pkg.dependencies, pkg.devDependencies].some((deps) => deps && Object.keys(deps).length > 0)) commands.push("npm install");
    if (typeof pkg.scripts?.build === "string") commands.push("npm run build");
    if (typeof pkg.scripts?.test === "string") commands.push("npm test");
    return commands;
  }
  const commands: string[] = [];
  if (tree.has("requirements.txt")) commands.push("python3 -m pip install --quiet --target .pypackages -r requirements.txt");
  if (tree.paths().some((p) => /(^|\/)test_[^/]*\.py$|(^|\/)[^/]*_test\.py$/.test(p))) {
    commands.push(`${tree.has("requirements.txt") ? "PYTHONPATH=.pypackages " : ""}python3 -m unittest discover -v`);
  }
  return commands;
}
