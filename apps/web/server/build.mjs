// The compiled server: server/main.ts (both planes) and server/migrate.ts bundled with esbuild into
// dist/server.mjs and dist/migrate.mjs, plain JavaScript that `node` runs without tsx. The project's
// own packages (@modelgate/*, TypeScript sources) are bundled in; every other package stays an
// import from node_modules, as installed.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Bare imports other than @modelgate/* stay external (resolved from node_modules at run time). */
const externalPackages = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@modelgate/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

export async function buildServer({ quiet = false } = {}) {
  const t0 = performance.now();
  await esbuild.build({
    absWorkingDir: appDir,
    entryPoints: { server: "server/main.ts", migrate: "server/migrate.ts" },
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    // stack traces point at the TypeScript sources (node --enable-source-maps)
    sourcesContent: false,
    logLevel: quiet ? "error" : "warning",
    plugins: [externalPackages],
  });
  if (!quiet) console.log(`[modelgate] built dist/server.mjs and dist/migrate.mjs in ${Math.round(performance.now() - t0)} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildServer();
