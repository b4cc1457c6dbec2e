// Dependency boundaries (architecture.md): apps/web → api, auth, core · api → core, auth ·
// auth → core, db · core → db · artifacts → nothing of ours. Run by `npm run lint`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make modules impossible to reason about in isolation",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-no-frameworks",
      severity: "error",
      comment: "packages/core is plain TypeScript: no Next.js, tRPC, React, next-auth or Fastify",
      from: { path: "^packages/core/" },
      to: { path: "node_modules/(next|next-auth|@auth|@trpc|react|react-dom|fastify)/" },
    },
    {
      name: "nothing-imports-apps",
      severity: "error",
      comment: "apps are leaves: nothing may import from apps/*",
      from: { pathNot: "^apps/" },
      to: { path: "^apps/" },
    },
    {
      name: "apps-are-separate",
      severity: "error",
      from: { path: "^apps/([^/]+)/" },
      to: { path: "^apps/", pathNot: "^apps/$1/" },
    },
    {
      name: "db-is-the-bottom",
      severity: "error",
      comment: "packages/db knows nothing of the domain or the edges",
      from: { path: "^packages/db/" },
      to: { path: "^packages/(core|api|auth|artifacts)/" },
    },
    {
      name: "core-below-edges",
      severity: "error",
      comment: "core must not import the edges (api, auth)",
      from: { path: "^packages/core/" },
      to: { path: "^packages/(api|auth)/" },
    },
    {
      name: "auth-below-api",
      severity: "error",
      from: { path: "^packages/auth/" },
      to: { path: "^packages/api/" },
    },
    {
      name: "artifacts-standalone",
      severity: "error",
      from: { path: "^packages/artifacts/" },
      to: { path: "^packages/(core|api|auth|db)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(\\.next|generated|test-results)/" },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    preserveSymlinks: false,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"], extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
