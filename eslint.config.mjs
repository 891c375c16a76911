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
  {
    // zod 4 uses a schema's own `error` for every issue it raises, checks included: a fixed
    // string there ("cap must be a number.") names the wrong problem for -5 or an over-long value.
    // Use fieldError (lib/http/fields.ts), which answers issue by issue.
    files: ["**/*.ts", "**/*.tsx"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "MemberExpression > CallExpression.object[callee.object.name='z'] > ObjectExpression > Property[key.name='error'][value.type=/^(Literal|TemplateLiteral)$/]",
          message:
            "A fixed schema-level zod error also answers for the checks chained after it; use fieldError(field, expected) from lib/http/fields.ts.",
        },
      ],
    },
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
