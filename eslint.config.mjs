import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([
    ".next/**",
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
