// Offline Prisma migrations: Prisma's schema engine compiled to WebAssembly
// (@prisma/schema-engine-wasm), driven through @prisma/adapter-pg. The stock CLI needs a native
// engine that is not on npm; the migrations folder stays in Prisma's format, so on a machine with
// internet `prisma migrate deploy` applies the same files.
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";

const require = createRequire(import.meta.url);

/** The checkout's root: the nearest folder above this file with prisma/schema.prisma (the same from the sources and from the compiled server in apps/web/dist). */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "prisma", "schema.prisma"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`prisma/schema.prisma not found above ${from}`);
  }
}
const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
export const schemaPath = path.join(repoRoot, "prisma/schema.prisma");
export const migrationsDir = path.join(repoRoot, "prisma/migrations");

type Engine = {
  applyMigrations(a: unknown): Promise<{ appliedMigrationNames: string[] }>;
  diagnoseMigrationHistory(a: unknown): Promise<unknown>;
  devDiagnostic(a: unknown): Promise<{ action: { tag: string; reason?: string } }>;
  evaluateDataLoss(a: unknown): Promise<{ unexecutableSteps: { message: string }[]; warnings: { message: string }[] }>;
  createMigration(a: unknown): Promise<{ generatedMigrationName?: string; migrationScript?: string | null }>;
  free?(): void;
};

let wasmLoaded: Promise<{ SchemaEngine: { new: (...a: unknown[]) => Promise<Engine> } }> | undefined;
function loadWasm() {
  wasmLoaded ??= (async () => {
    // the CLI normally installs this panic hook
    (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = {
      message: "",
      set_message(m: string) {
        (this as { message: string }).message = `RuntimeError: ${m}`;
      },
    };
    const pkgDir = path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg"));
    const bg = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmModule = new WebAssembly.Module(fs.readFileSync(path.join(pkgDir, "schema_engine_bg.wasm")));
    const instance = new WebAssembly.Instance(wasmModule, { "./schema_engine_bg.js": bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
    return bg as unknown as { SchemaEngine: { new: (...a: unknown[]) => Promise<Engine> } };
  })();
  return wasmLoaded;
}

/** Connection settings from a URL, as fields (the shadow database overrides `database`), TLS from `sslmode`. */
function pgConfigOf(url: string): pg.PoolConfig {
  const u = new URL(url);
  const sslmode = u.searchParams.get("sslmode");
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1) || "postgres",
    // a managed PostgreSQL (RDS, Cloud SQL, Azure) usually asks for TLS: verify-ca/verify-full check the certificate
    ...(sslmode && sslmode !== "disable" ? { ssl: sslmode === "verify-ca" || sslmode === "verify-full" ? true : { rejectUnauthorized: false } } : {}),
  };
}

let adapterPatched = false;
/**
 * Two @prisma/adapter-pg 7.10.x defects that only migrations hit:
 * - it rejects Postgres' internal "char" type (oid 18), which the schema engine's catalog queries
 *   return; map it to text / ColumnType.Character;
 * - executeScript splits a migration on every ";", breaking function bodies; send the script
 *   whole, as the native engine does (pg's simple query protocol runs several statements).
 */
async function patchAdapter(config: pg.PoolConfig) {
  if (adapterPatched) return;
  const probe = await new PrismaPg({ ...config, max: 1 }).connect();
  const proto = Object.getPrototypeOf(Object.getPrototypeOf(probe));
  const charCols = new WeakMap<object, number[]>();
  const performIO = proto.performIO;
  proto.performIO = async function (query: unknown) {
    const result = await performIO.call(this, query);
    const idx: number[] = [];
    (result?.fields ?? []).forEach((f: { dataTypeID: number }, i: number) => {
      if (f.dataTypeID === 18) {
        f.dataTypeID = 25;
        idx.push(i);
      }
    });
    if (idx.length && result.rows) charCols.set(result.rows, idx);
    return result;
  };
  const queryRaw = proto.queryRaw;
  proto.queryRaw = async function (query: unknown) {
    const r = await queryRaw.call(this, query);
    for (const i of charCols.get(r.rows) ?? []) r.columnTypes[i] = 6; // ColumnTypeEnum.Character
    return r;
  };
  Object.getPrototypeOf(probe).executeScript = async function (this: { client: pg.ClientBase; onError(e: unknown): never }, script: string) {
    try {
      await this.client.query(script);
    } catch (error) {
      this.onError(error);
    }
  };
  await probe.dispose();
  adapterPatched = true;
}

/**
 * adapter-pg 7.10.x drops the shadow database while its pool is still open; use a fresh database
 * per shadow session and drop it after its pool has ended.
 */
class SafeShadowPg extends PrismaPg {
  private readonly shadowConfig: pg.PoolConfig;
  constructor(config: pg.PoolConfig) {
    super(config);
    this.shadowConfig = config;
  }
  override async connectToShadowDb() {
    const admin = new pg.Client(this.shadowConfig);
    await admin.connect();
    const db = `prisma_shadow_${crypto.randomUUID().replaceAll("-", "")}`;
    await admin.query(`CREATE DATABASE "${db}"`);
    const pool = new pg.Pool({ ...this.shadowConfig, database: db });
    const shadow = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await admin.end();
    };
    return shadow;
  }
}

function listMigrations() {
  fs.mkdirSync(migrationsDir, { recursive: true });
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  const dirs = fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  return {
    baseDir: migrationsDir,
    lockfile: { path: "migration_lock.toml", content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories: dirs.map((d) => {
      const f = path.join(migrationsDir, d, "migration.sql");
      return {
        path: d,
        migrationFile: {
          path: "migration.sql",
          content: fs.existsSync(f) ? { tag: "ok", value: fs.readFileSync(f, "utf8") } : { tag: "error", value: "missing" },
        },
      };
    }),
  };
}

const filters = { externalTables: [], externalEnums: [] };

async function withEngine<T>(url: string, fn: (engine: Engine, schema: { files: { path: string; content: string }[] }) => Promise<T>) {
  const bg = await loadWasm();
  const config = pgConfigOf(url);
  await patchAdapter(config);
  const adapter = bindMigrationAwareSqlAdapterFactory(new SafeShadowPg(config));
  const content = fs.readFileSync(schemaPath, "utf8");
  const logs: string[] = [];
  const engine = await bg.SchemaEngine.new({ datamodels: [[schemaPath, content]] }, (m: string) => logs.push(m), adapter);
  try {
    return await fn(engine, { files: [{ path: schemaPath, content }] });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message = `schema engine: ${err.message}`;
    throw err;
  } finally {
    engine.free?.();
  }
}

/**
 * Held while a process applies migrations. Prisma's engine takes its own lock (72707369) but gives
 * up after 10 s, so replicas started together on an empty database (a rollout, `compose up
 * --scale`, an upgrade that adds a migration) would fail; this one is waited for as long as it takes.
 */
export const MIGRATION_LOCK = 7363400002;
/** How often the waiting process says it is still waiting. */
const WAIT_LOG_INTERVAL_MS = 10_000;

export interface ApplyMigrationsOptions {
  /** Told when this process has to wait for another one that is applying migrations. */
  log?: (line: string) => void;
}

/**
 * Applies pending migrations (`prisma migrate deploy`). Returns the names applied now. Several
 * processes may call it at once against one database: one applies, the others wait for it on
 * MIGRATION_LOCK (saying so) and then find nothing left to apply.
 */
export async function applyMigrations(url: string, { log = () => {} }: ApplyMigrationsOptions = {}): Promise<string[]> {
  const lock = new pg.Client(pgConfigOf(url));
  lock.on("error", () => {}); // a lost lock connection surfaces as the engine's own error
  await lock.connect();
  try {
    const got = (await lock.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [MIGRATION_LOCK])).rows[0]?.ok;
    if (!got) {
      const t0 = Date.now();
      log("another process is applying migrations to this database: waiting for it to finish");
      const tick = setInterval(() => log(`still waiting for the other process's migrations (${Math.round((Date.now() - t0) / 1000)} s)`), WAIT_LOG_INTERVAL_MS);
      try {
        await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
      } finally {
        clearInterval(tick);
      }
      log(`the other process finished after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    return await withEngine(url, async (engine) => {
      const r = await engine.applyMigrations({ migrationsList: listMigrations(), filters });
      return r.appliedMigrationNames;
    });
  } finally {
    // ending the session releases the lock
    await lock.end().catch(() => {});
  }
}

/** Migrations in the checkout that the database has not finished applying (empty: up to date). */
export async function pendingMigrations(url: string): Promise<string[]> {
  const local = listMigrations().migrationDirectories.map((d) => d.path);
  const c = new pg.Client(pgConfigOf(url));
  c.on("error", () => {});
  await c.connect();
  try {
    const exists = (await c.query<{ t: string | null }>("SELECT to_regclass('_prisma_migrations')::text AS t")).rows[0]?.t;
    if (!exists) return local;
    const done = new Set((await c.query<{ n: string }>("SELECT migration_name AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")).rows.map((r) => r.n));
    return local.filter((m) => !done.has(m));
  } finally {
    await c.end().catch(() => {});
  }
}

/** Creates a migration from the schema diff and applies it (`prisma migrate dev`). */
export async function createMigration(url: string, name: string, opts: { acceptDataLoss?: boolean } = {}): Promise<string | null> {
  return withEngine(url, async (engine, schema) => {
    const diag = await engine.devDiagnostic({ migrationsList: listMigrations(), filters });
    if (diag.action.tag === "reset") throw new Error(`migrate dev needs a reset: ${diag.action.reason}`);
    await engine.applyMigrations({ migrationsList: listMigrations(), filters });
    const loss = await engine.evaluateDataLoss({ migrationsList: listMigrations(), schema, filters });
    if (loss.unexecutableSteps.length || (loss.warnings.length && !opts.acceptDataLoss)) {
      throw new Error([...loss.unexecutableSteps, ...loss.warnings].map((w) => w.message).join("\n"));
    }
    const created = await engine.createMigration({ draft: true, migrationName: name, migrationsList: listMigrations(), schema, filters });
    if (!created.generatedMigrationName || created.migrationScript == null) return null;
    fs.mkdirSync(path.join(migrationsDir, created.generatedMigrationName), { recursive: true });
    fs.writeFileSync(path.join(migrationsDir, created.generatedMigrationName, "migration.sql"), created.migrationScript);
    const lockPath = path.join(migrationsDir, "migration_lock.toml");
    if (!fs.existsSync(lockPath)) {
      fs.writeFileSync(lockPath, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n');
    }
    return created.generatedMigrationName;
  });
}

export async function migrationStatus(url: string) {
  return withEngine(url, (engine) => engine.diagnoseMigrationHistory({ migrationsList: listMigrations(), optInToShadowDatabase: false, filters }));
}

/** Where a URL points, for messages (never its password). */
export function describeDatabase(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}/${u.pathname.slice(1) || "postgres"}`;
}

/**
 * Waits until PostgreSQL accepts a connection (a replica may start before its database: a
 * Kubernetes rollout, a database restarting), saying what it waits for; after `timeoutMs` throws
 * an error that names the database and the last reason.
 */
export async function waitForDatabase(url: string, { timeoutMs = 60_000, log = () => {} }: { timeoutMs?: number; log?: (line: string) => void } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const c = new pg.Client({ ...pgConfigOf(url), connectionTimeoutMillis: 5000 });
    c.on("error", () => {});
    try {
      await c.connect();
      await c.query("SELECT 1");
      await c.end();
      if (said) log(`the database at ${describeDatabase(url)} answers`);
      return;
    } catch (e) {
      await c.end().catch(() => {});
      const why = (e as Error).message || String(e);
      if (Date.now() >= deadline) throw new Error(`cannot reach the database at ${describeDatabase(url)} (DATABASE_URL): ${why}`);
      if (!said) log(`waiting for the database at ${describeDatabase(url)}: ${why}`);
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
