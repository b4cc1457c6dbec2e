import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const exclude = ["**/node_modules/**", "**/.next/**", "**/e2e/**", "**/dist/**"];

export default defineConfig({
  test: {
    root,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["{apps,packages,deploy}/**/*.test.ts"], exclude: [...exclude, "**/*.int.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["{apps,packages}/**/*.int.test.ts"],
          exclude,
          globalSetup: [path.join(root, "packages/config/vitest.global-setup.ts")],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
