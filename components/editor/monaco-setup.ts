"use client";

import { loader, type Monaco } from "@monaco-editor/react";

/**
 * Monaco is served by this app (public/monaco/vs, copied from node_modules by
 * scripts/copy-monaco.mjs), never from a CDN. Imported only by the lazily
 * loaded editor modules, so Monaco stays out of the first-load JS.
 */
loader.config({ paths: { vs: "/monaco/vs" } });

/** Monaco language id for our languageForPath names (they already use Monaco's ids; unknown ones fall back). */
const MONACO_ALIASES: Record<string, string> = { prisma: "plaintext", makefile: "plaintext" };

export function monacoLanguage(language: string): string {
  return MONACO_ALIASES[language] ?? language;
}

export const EDITOR_OPTIONS = {
  fontSize: 13,
  minimap: { enabled: false },
  scrollBeyondLastLine: false,
  automaticLayout: true,
  tabSize: 2,
  renderWhitespace: "selection",
  smoothScrolling: true,
} as const;

let configured = false;

/**
 * Once per page: syntax errors only. The editor has none of the project's
 * dependencies or type packages, so semantic checks would flag every import
 * ("Cannot find module 'react'") — noise, not help.
 */
export function configureMonaco(monaco: Monaco): void {
  if (configured) return;
  configured = true;
  const ts = monaco.typescript;
  if (!ts) return;
  const diagnostics = { noSemanticValidation: true, noSyntaxValidation: false };
  ts.typescriptDefaults.setDiagnosticsOptions(diagnostics);
  ts.javascriptDefaults.setDiagnosticsOptions(diagnostics);
  const compilerOptions = {
    jsx: ts.JsxEmit.ReactJSX,
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.NodeJs,
    allowJs: true,
    allowNonTsExtensions: true,
    esModuleInterop: true,
  };
  ts.typescriptDefaults.setCompilerOptions(compilerOptions);
  ts.javascriptDefaults.setCompilerOptions(compilerOptions);
}
