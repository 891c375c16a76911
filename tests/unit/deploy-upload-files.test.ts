import { describe, expect, it } from "vitest";
import { uploadPlan } from "@/lib/deploy/upload-files";

const file = (path: string, content = "x") => ({ path, content });

describe("uploadPlan", () => {
  it("gives Vercel and Railway every file, untouched", () => {
    const files = [file("package.json", '{"scripts":{"build":"vite build"}}'), file("src/main.ts"), file("dist/index.html")];
    for (const provider of ["vercel", "railway"] as const) expect(uploadPlan(provider, files)).toEqual({ files, notes: [] });
  });

  it("gives Netlify a root index.html site as it is", () => {
    const files = [file("index.html"), file("style.css")];
    expect(uploadPlan("netlify", files)).toEqual({ files, notes: [] });
  });

  it("re-roots Netlify at public/ when the site lives there", () => {
    const plan = uploadPlan("netlify", [file("public/index.html", "<p>hi</p>"), file("public/a/b.css"), file("README.md")]);
    expect(plan.files).toEqual([file("index.html", "<p>hi</p>"), file("a/b.css")]);
    expect(plan.notes).toEqual([expect.stringContaining("Publishing public/")]);
  });

  it("warns that Netlify will not build a project that has only a build script", () => {
    const files = [file("package.json", '{"scripts":{"build":"vite build"}}'), file("src/main.ts")];
    const plan = uploadPlan("netlify", files);
    expect(plan.files).toEqual(files);
    expect(plan.notes).toEqual([expect.stringMatching(/does not run `npm run build`.*Vercel or Railway/)]);
  });

  it("warns when there is no home page at all", () => {
    expect(uploadPlan("netlify", [file("notes.txt")]).notes).toEqual([expect.stringContaining("no index.html")]);
  });
});
