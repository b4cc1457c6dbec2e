// The durability row every bench prints: the database's fsync/synchronous_commit read back, and the
// server's sources scanned for anything turning commits asynchronous (a commit-bound figure such
// as registry version creation means nothing without it).
import fs from "node:fs";
import path from "node:path";
import type { Durability } from "./database.ts";
import { repoRoot } from "./processes.ts";
import type { Row } from "./report.ts";

/** The durability claim covers the code too: nothing the server runs may turn commits asynchronous. */
function sourcesTurningOffSyncCommit(): string[] {
  const roots = ["packages/api/src", "packages/core/src", "packages/auth/src", "packages/artifacts/src", "packages/db/src/client.ts", "apps/web/server"].map((p) => path.join(repoRoot, p));
  const hits: string[] = [];
  const walk = (p: string) => {
    if (!fs.existsSync(p)) return;
    if (fs.statSync(p).isDirectory()) {
      for (const e of fs.readdirSync(p)) if (e !== "generated" && e !== "node_modules") walk(path.join(p, e));
    } else if (/\.(ts|tsx|js|mjs)$/.test(p) && /synchronous_commit|fsync\s*=\s*off/i.test(fs.readFileSync(p, "utf8"))) {
      hits.push(path.relative(repoRoot, p));
    }
  };
  roots.forEach(walk);
  return hits;
}

export function durabilityRow(d: Durability): Row {
  const sources = sourcesTurningOffSyncCommit();
  const settings = `fsync=${d.settings.fsync}, synchronous_commit=${d.settings.synchronous_commit}, full_page_writes=${d.settings.full_page_writes}`;
  return {
    target: "durability: commits synchronous",
    required: "no fsync/sync-commit off",
    measured: sources.length ? `server code mentions synchronous_commit: ${sources.join(", ")}` : settings,
    ceiling: "-",
    ratio: "-",
    pass: d.durable && sources.length === 0,
    note: `${settings}, wal_sync_method=${d.settings.wal_sync_method}, shared_buffers=${d.settings.shared_buffers}; per-database/role overrides: ${d.overrides.join(", ") || "none"}; server sources scanned for synchronous_commit: ${sources.length ? sources.join(", ") : "none found"}`,
  };
}
