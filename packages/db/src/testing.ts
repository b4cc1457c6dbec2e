// Test isolation: one migrated template database per test run, one copy of it per test file.
import crypto from "node:crypto";
import path from "node:path";
import pg from "pg";
import { createDb, type Db } from "./client.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { applyMigrations } from "./migrate.ts";

export interface TestCluster {
  /** URL of the migrated template database; copy it with createTestDatabase. */
  templateUrl: string;
  stop: () => Promise<void>;
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Uses the server named by `serverUrl` (any database on it) or, without one, starts a throwaway
 * embedded PostgreSQL; creates and migrates a template database there.
 */
export async function startTestCluster({ serverUrl, tmpDir }: { serverUrl?: string; tmpDir: string }): Promise<TestCluster> {
  let stopServer = async () => {};
  let base = serverUrl;
  if (!base) {
    const dir = path.join(tmpDir, `pg-${process.pid}-${crypto.randomBytes(3).toString("hex")}`);
    const server = await startEmbeddedPostgres({ dir, ephemeral: true, database: "postgres" });
    base = server.adminUrl;
    stopServer = server.stop;
  }
  const template = `mg_tpl_${Date.now().toString(36)}_${crypto.randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: withDatabase(base, "postgres") });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${template}"`);
  const templateUrl = withDatabase(base, template);
  await applyMigrations(templateUrl);
  await admin.end();
  return {
    templateUrl,
    stop: async () => {
      await dropDatabase(templateUrl).catch(() => {});
      await stopServer();
    },
  };
}

export interface ScratchDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

/**
 * A new, empty database on the server `serverUrl` names (for the e2e run and the benchmark), with
 * a generated name `<prefix>_<time>_<random>`; drop() removes it even while connections remain.
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${crypto.randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`); // a generated identifier, not input
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  return { name, url, drop: () => dropDatabase(url) };
}

async function dropDatabase(url: string) {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  const admin = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface TestDatabase {
  url: string;
  db: Db;
  drop: () => Promise<void>;
}

/** A fresh database copied from the migrated template: nothing shared with other test files. */
export async function createTestDatabase(templateUrl: string): Promise<TestDatabase> {
  const template = new URL(templateUrl).pathname.slice(1);
  const name = `mg_test_${Date.now().toString(36)}_${crypto.randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: withDatabase(templateUrl, "postgres") });
  await admin.connect();
  try {
    // concurrent CREATE DATABASE from one template can collide on the template's lock: retry
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        break;
      } catch (e) {
        if (attempt > 20 || !/being accessed by other users/.test(String(e))) throw e;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = withDatabase(templateUrl, name);
  const db = createDb({ url, max: 5 });
  return {
    url,
    db,
    drop: async () => {
      await db.$disconnect();
      await dropDatabase(url);
    },
  };
}
