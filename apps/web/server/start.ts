// `npm start`: build the portal first when there is no build or the sources changed since the
// last one, then run the server.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "generated" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const buildId = path.join(appDir, ".next", "BUILD_ID");
const packagesDir = path.resolve(appDir, "../../packages");
const sources = [path.join(appDir, "src"), ...fs.readdirSync(packagesDir).map((p) => path.join(packagesDir, p, "src"))].filter((d) => fs.existsSync(d));
const builtAt = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
if (builtAt === 0 || sources.some((d) => newestSource(d) > builtAt)) {
  console.log(builtAt === 0 ? "[modelgate] no build found: building the portal (next build) once…" : "[modelgate] sources changed since the last build: rebuilding the portal (next build)…");
  const r = spawnSync(process.execPath, [createRequire(import.meta.url).resolve("next/dist/bin/next"), "build"], {
    cwd: appDir,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
(process.env as Record<string, string>).NODE_ENV ??= "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
const { runUntilSignal } = await import("./main.ts");
await runUntilSignal({ dev: false });
