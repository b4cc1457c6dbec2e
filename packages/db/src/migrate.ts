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
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
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

function pgConfigOf(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1) || "postgres",
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

/** Applies pending migrations (`prisma migrate deploy`). Returns the names applied now. */
export async function applyMigrations(url: string): Promise<string[]> {
  return withEngine(url, async (engine) => {
    const r = await engine.applyMigrations({ migrationsList: listMigrations(), filters });
    return r.appliedMigrationNames;
  });
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
