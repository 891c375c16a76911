import { defineConfig } from "vitest/config";
import path from "node:path";

const alias = { "@": path.resolve(import.meta.dirname) };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "node",
          environment: "node",
          include: ["tests/unit/**/*.test.ts", "tests/contract/sqlite.test.ts", "tests/integration/**/*.test.ts"],
          testTimeout: 30_000,
          // Tests price with their own catalog, and never find a model server on this machine unless they ask.
          env: { AI_MODELS_FILE: path.resolve(import.meta.dirname, "tests/fixtures/ai-models.json"), LOCAL_MODELS: "off" },
        },
      },
      {
        resolve: { alias },
        test: {
          name: "convex",
          environment: "edge-runtime",
          include: ["tests/contract/convex.test.ts", "tests/convex/**/*.test.ts"],
          server: { deps: { inline: ["convex-test"] } },
          testTimeout: 60_000,
        },
      },
    ],
  },
});
