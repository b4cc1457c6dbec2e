// `npm start`: build what is missing or older than its sources (the portal with `next build`, the
// server with esbuild: server/build.mjs), then run the compiled server with plain node (no tsx:
// less memory, faster start). Plain JavaScript itself, so nothing here needs a TypeScript loader.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = path.resolve(appDir, "../../packages");

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "generated" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}
const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);
const packageSources = fs
  .readdirSync(packagesDir)
  .map((p) => path.join(packagesDir, p, "src"))
  .filter((d) => fs.existsSync(d));
const newest = (dirs) => Math.max(...dirs.map(newestSource));

const portalBuilt = mtime(path.join(appDir, ".next", "BUILD_ID"));
if (portalBuilt === 0 || newest([path.join(appDir, "src"), ...packageSources]) > portalBuilt) {
  console.log(portalBuilt === 0 ? "[modelgate] no build found: building the portal (next build) once…" : "[modelgate] sources changed since the last build: rebuilding the portal (next build)…");
  const r = spawnSync(process.execPath, [createRequire(import.meta.url).resolve("next/dist/bin/next"), "build"], {
    cwd: appDir,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const serverBuilt = mtime(path.join(appDir, "dist", "server.mjs"));
if (serverBuilt === 0 || newest([path.join(appDir, "server"), path.join(appDir, "src"), ...packageSources]) > serverBuilt) {
  const { buildServer } = await import("./build.mjs");
  await buildServer();
}

process.env.NODE_ENV ??= "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
const { runUntilSignal } = await import("../dist/server.mjs");
await runUntilSignal({ dev: false });
