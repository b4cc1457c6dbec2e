// Shared lint config for the whole repository (run from the root: npm run lint).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/.next/**", "**/dist/**", "**/generated/**", "**/test-results/**", "**/playwright-report/**", "**/next-env.d.ts", ".data/**", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", performance: "readonly", crypto: "readonly", window: "readonly", Request: "readonly", Response: "readonly", FormData: "readonly", HTMLFormElement: "readonly", EventTarget: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "off",
    },
  },
  {
    // core is the domain: no transport or UI framework may leak into it
    files: ["packages/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["next", "next/*", "next-auth", "next-auth/*", "@trpc/*", "react", "react-dom", "fastify"], message: "packages/core must not depend on Next.js, tRPC, React, next-auth or Fastify" }] }],
    },
  },
);
