import crypto from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "./generated/prisma/client.ts";

export type Db = PrismaClient;

export interface CreateDbOptions {
  url: string;
  /** pg pool size; the data plane and the portal share one process, so keep it modest. */
  max?: number;
}

// Each Db's node-postgres pool: Prisma runs over it (driver adapter) and so does `sqlQuery`, so the
// two share one set of connections and one size limit.
const pools = new WeakMap<Db, pg.Pool>();

/** A Prisma client over node-postgres (Prisma 7's Rust-free client needs a driver adapter). */
export function createDb({ url, max = 10 }: CreateDbOptions): Db {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle connection that PostgreSQL closes (a restart, a dropped database, a network cut) is an
  // 'error' on the pool, which drops that connection; unheard, it would end the process. Prisma
  // listens only once it has connected itself, and a Db used only through sqlQuery never has.
  pool.on("error", () => {});
  const adapter = new PrismaPg(pool);
  // Prisma's defaults (2 s to get a connection, 5 s to finish) turn a burst of writes queued on
  // one row into errors on a small shared pool; waiting longer is what the caller wants.
  const db = new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 30_000 } });
  // $disconnect() ends the pool too, whether or not Prisma ever connected through it
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = async () => {
    await disconnect();
    if (!pool.ended) await pool.end();
  };
  pools.set(db, pool);
  return db;
}

/** The pool under `db`: for LISTEN connections' settings and for sqlQuery. */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("This Db was not made by createDb");
  return pool;
}

// What Prisma's $queryRaw returns for these types, so a row reads the same either way: int8 as
// bigint, `timestamp` (Prisma's DateTime, stored without a zone) as UTC.
const INT8 = 20;
const TIMESTAMP = 1114;
const parsers: Record<number, (v: string) => unknown> = {
  [INT8]: (v) => BigInt(v),
  [TIMESTAMP]: (v) => new Date(`${v.replace(" ", "T")}Z`),
};
const types = { getTypeParser: (oid: number, format?: string) => parsers[oid] ?? pg.types.getTypeParser(oid, format as "text") };

// Statement names by text: hashing a long statement on every call costs more than finding it here.
// The texts come from a fixed set of shapes, so this stays small; the bound is a safety net.
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= 10_000) statementNames.clear();
    name = `mg_${crypto.createHash("sha1").update(text).digest("base64url")}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * One statement straight through node-postgres, for the per-request hot paths (authentication,
 * finding a run, a log call's write). Prisma's $queryRaw costs two to four times a driver call here
 * (measured: ~250–400 µs against ~150 µs for `SELECT 1`), and it cannot prepare a statement.
 *
 * `prepare`: a prepared statement, named after its text: parsed once per connection and, after a
 * few executions, planned once (PostgreSQL's plan cache), which is most of a small query's time on
 * the server. Only for SQL whose text comes from a fixed set of shapes (values always as
 * parameters, never lists spliced in): each connection keeps every statement it prepared for life.
 *
 * Values are bound as Prisma binds them; rows read as $queryRaw's. Inside a transaction (`db` a
 * transaction client) it is the transaction's $queryRaw.
 */
export async function sqlQuery<T>(db: Db | Prisma.TransactionClient, sql: Prisma.Sql, { prepare = false }: { prepare?: boolean } = {}): Promise<T[]> {
  const pool = pools.get(db as Db);
  if (!pool) return db.$queryRaw<T[]>(sql);
  const text = sql.text;
  const name = prepare ? statementName(text) : undefined;
  const result = await pool.query<T & pg.QueryResultRow>({ text, values: sql.values as unknown[], types, ...(name ? { name } : {}) });
  return result.rows;
}

/** A write refused by a unique index (Prisma's P2002): the caller names what already exists. */
export function isUniqueViolation(e: unknown): boolean {
  return e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002";
}
