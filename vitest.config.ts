import { defineConfig } from "vitest/config";
import path from "node:path";

const alias = { "@": path.resolve(__dirname) };

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
