import { afterEach, describe, expect, it } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import { changeNeedsRestart, planApp, unreachableDependencies } from "@/lib/preview/app-plan";
import { previewIdFromHost } from "@/lib/preview/live";
import { appCookies, hostOnlyCookie } from "@/lib/preview/proxy-server";

const manifest = (pkg: object) => ({ path: "package.json", content: JSON.stringify(pkg) });

describe("what the live preview runs", () => {
  it("a dev script first, with the port and host on Vite's and Next's command line, after npm install", () => {
    expect(planApp([manifest({ scripts: { dev: "vite", start: "vite preview" }, devDependencies: { vite: "^7.0.0" } })])).toEqual({
      command: "npm run dev -- --port 3000 --strictPort --host 127.0.0.1",
      port: 3000,
      install: "npm install",
      label: "npm run dev (vite)",
      watchesFiles: true,
    });
    expect(planApp([manifest({ scripts: { dev: "next dev --turbopack" }, dependencies: { next: "16" } })])?.command).toBe(
      "npm run dev -- -p 3000 -H 127.0.0.1",
    );
  });

  it("else the start script, as it is (the app reads PORT), with no install when nothing is declared", () => {
    expect(planApp([manifest({ scripts: { start: "node server.js" } })])).toEqual({
      command: "npm run start",
      port: 3000,
      install: null,
      label: "npm run start (node server.js)",
      watchesFiles: false,
    });
  });

  it("else a Python entry point; else nothing", () => {
    expect(planApp([{ path: "main.py", content: "print(1)" }])?.command).toBe("python3 main.py");
    expect(planApp([{ path: "main.py", content: "print(1)" }])?.install).toBeNull();
    const withRequirements = planApp([
      { path: "app.py", content: "import flask" },
      { path: "requirements.txt", content: "flask==3.1.0\n" },
    ]);
    expect(withRequirements?.install).toBe("python3 -m pip install --quiet --target .pypackages --upgrade -r requirements.txt");
    expect(withRequirements?.command).toBe("PYTHONPATH=.pypackages python3 app.py");
    expect(planApp([{ path: "index.html", content: "<h1>x</h1>" }])).toBeNull();
    expect(planApp([manifest({ scripts: { build: "vite build" } })])).toBeNull();
    expect(planApp([{ path: "package.json", content: "{ not json" }])).toBeNull();
  });

  it("restarts after a save unless a watching dev server can reload it, and always for the manifest or config", () => {
    const vite = planApp([manifest({ scripts: { dev: "vite" } })])!;
    const node = planApp([manifest({ scripts: { start: "node server.js" } })])!;
    expect(changeNeedsRestart(vite, ["src/App.tsx"])).toBe(false);
    expect(changeNeedsRestart(vite, ["src/App.tsx", "package.json"])).toBe(true);
    expect(changeNeedsRestart(vite, ["vite.config.ts"])).toBe(true);
    expect(changeNeedsRestart(node, ["public/index.html"])).toBe(true);
  });

  it("names dependencies from outside the registry, and lets registry versions and aliases through", () => {
    expect(
      unreachableDependencies([
        manifest({
          dependencies: { a: "git+https://example.invalid/a.git", b: "github:someone/b", c: "someone/c#main", d: "https://example.invalid/d.tgz" },
        }),
      ]),
    ).toMatch(/^package\.json asks for a \(git\+https:\/\/example\.invalid\/a\.git\), b \(github:someone\/b\), c \(someone\/c#main\), d \(https:/);
    expect(unreachableDependencies([manifest({ dependencies: { react: "^19.0.0", old: "npm:react@18", local: "file:./lib" } })])).toBeNull();
    expect(unreachableDependencies([])).toBeNull();
  });
});

describe("the preview proxy's rules", () => {
  afterEach(() => {
    delete process.env.PREVIEW_URL_TEMPLATE;
    resetEnvForTests();
  });

  it("finds the preview id in the Host header only when the host has the template's shape", () => {
    process.env.PREVIEW_URL_TEMPLATE = "https://{id}.autocrea-preview.app";
    resetEnvForTests();
    const id = `p${"a1".repeat(15)}`;
    expect(previewIdFromHost(`${id}.autocrea-preview.app`)).toBe(id);
    expect(previewIdFromHost(`${id.toUpperCase()}.AUTOCREA-PREVIEW.APP`)).toBe(id);
    expect(previewIdFromHost(`${id}.autocrea-preview.app.evil.example`)).toBeNull();
    expect(previewIdFromHost(`x.${id}.autocrea-preview.app`)).toBeNull();
    expect(previewIdFromHost("autocrea-preview.app")).toBeNull();
    expect(previewIdFromHost(undefined)).toBeNull();
  });

  it("never passes AUTOCREA's or Clerk's cookies to the app", () => {
    expect(appCookies("autocrea_session=s; theme=dark; __session=jwt; __client_uat_x=1; __clerk_db_jwt=j; cart=3")).toBe("theme=dark; cart=3");
    expect(appCookies("autocrea_session=s")).toBeUndefined();
    expect(appCookies(undefined)).toBeUndefined();
  });

  it("keeps the app's cookies on its own origin", () => {
    expect(hostOnlyCookie("seen=1; Domain=.preview.localhost; Path=/; HttpOnly")).toBe("seen=1; Path=/; HttpOnly");
    expect(hostOnlyCookie("seen=1; domain = preview.localhost")).toBe("seen=1");
  });
});
