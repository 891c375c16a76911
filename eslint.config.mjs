import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  {
    // A forgotten `await` on enforceLimit, a store write or a runner call would
    // silently skip it: unhandled promises are errors in server code.
    files: ["app/api/**/*.ts", "lib/**/*.ts"],
    ignores: ["lib/client/**"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { "@typescript-eslint/no-floating-promises": "error" },
  },
  globalIgnores([
    ".next/**",
    ".next-e2e/**",
    ".next-e2e-dev/**",
    "out/**",
    "node_modules/**",
    "next-env.d.ts",
    "convex/_generated/**",
    "sandbox-runner/**",
    ".data/**",
    "test-results/**",
    "playwright-report/**",
    "public/monaco/**",
  ]),
]);
