// The bench's own database: a fresh one on DATABASE_URL's server (created and dropped here), or an
// embedded PostgreSQL with its default, durable settings (no fsync=off, no synchronous_commit=off).
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "@modelgate/db/embedded";
import { createScratchDatabase } from "@modelgate/db/testing";

export interface BenchDatabase {
  url: string;
  /** Where Postgres runs, for the report. */
  where: string;
  drop: () => Promise<void>;
}

export async function openBenchDatabase(workDir: string): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, "mg_bench");
    const host = new URL(serverUrl).hostname;
    const local = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(host);
    return { url: scratch.url, where: `DATABASE_URL server at ${host}${local ? " (this machine)" : ""}, fresh database ${scratch.name}`, drop: scratch.drop };
  }
  const name = `mg_bench_${Date.now().toString(36)}`;
  const dir = path.join(workDir, "postgres");
  // ephemeral: false keeps Postgres' defaults (fsync, synchronous_commit, full_page_writes on)
  const server = await startEmbeddedPostgres({ dir, ephemeral: false, database: name });
  return {
    url: server.url,
    where: `embedded PostgreSQL on this machine (127.0.0.1:${server.port}, data in ${dir})`,
    drop: async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Durability {
  version: string;
  settings: Record<string, string>;
  /** Per-database or per-role overrides (ALTER DATABASE/ROLE ... SET). */
  overrides: string[];
  durable: boolean;
}

const DURABILITY_SETTINGS = ["fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers"];

export async function readDurability(url: string): Promise<Durability> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const version = ((await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?").trim();
    const rows = (await c.query<{ name: string; setting: string; unit: string | null }>("SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)", [DURABILITY_SETTINGS])).rows;
    const settings = Object.fromEntries(rows.map((r) => [r.name, r.unit === "8kB" ? `${(Number(r.setting) * 8) / 1024} MB` : r.setting]));
    const overrides = (await c.query<{ s: string }>("SELECT unnest(setconfig) AS s FROM pg_db_role_setting")).rows.map((r) => r.s);
    const durable = settings.fsync === "on" && settings.synchronous_commit !== "off" && !overrides.some((o) => /^(fsync|synchronous_commit)=off/i.test(o));
    return { version, settings, overrides, durable };
  } finally {
    await c.end();
  }
}

/** A plain pg connection for data set-up and checks (never on the measured path). */
export async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
