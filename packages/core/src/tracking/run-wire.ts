import { LRUCache } from "lru-cache";
import { Prisma, type Db } from "@modelgate/db";
import { toWireJson } from "../wire-json.ts";
import { loadRunViewsByPk } from "./load-runs.ts";

// Runs as MLflow wire JSON, for runs/search and runs/get. A page of 1000 runs is ~1 MB of JSON
// built from ~10 000 child rows; rebuilding it on every request is most of a search's cost, and
// even fetching it ready-made from PostgreSQL costs more than the search itself. So each run's body
// is kept in this process, keyed by run and run.view_version. Triggers bump view_version in the
// transaction of any change to the run or to its latest metrics, params, tags or inputs (see the
// run_view_version migration), and every request reads the current versions from the database in
// the query that finds its runs: a body is served only for the version it was built at, so every
// process (and every replica) sees a change at once.
//
// Race: a miss reads the version before the data. A change committed in between is in the body
// but not in its key, so the body is newer than its key says, never older; the next request reads
// the new version and builds again.

interface Entry {
  version: bigint;
  /** The run's wire JSON as UTF-8: sent as it is, never encoded again. */
  body: Buffer;
}

export interface RunWireCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/** Bodies up to this many bytes in all. */
const MAX_CACHED_BYTES = 64 * 1024 * 1024;

const cache = new LRUCache<string, Entry>({ maxSize: MAX_CACHED_BYTES, sizeCalculation: (e) => Math.max(1, e.body.length) });
const counters = { hits: 0, misses: 0 };

// One cache for the process, keyed per database client as well as per run (run keys of two
// databases, as in tests, must never meet).
const dbIds = new WeakMap<Db, number>();
let nextDbId = 0;
function keyOf(db: Db, pk: bigint): string {
  let id = dbIds.get(db);
  if (id === undefined) dbIds.set(db, (id = nextDbId++));
  return `${id}:${pk}`;
}

export function runWireCacheStats(): RunWireCacheStats {
  return { ...counters, entries: cache.size, bytes: cache.calculatedSize };
}

/** A run key and the view_version read with it. */
export interface VersionedRun {
  pk: bigint;
  version: bigint;
}

/**
 * SQL over `rows`, a relation of (pk, view_version, ord) aliased `s`: `v`, one text value of
 * "pk version" pairs in `ord` order, and `n`, the number of rows. Rows for which `keep` is false
 * are counted but not listed.
 */
export function runVersionsSql(rows: Prisma.Sql, keep: Prisma.Sql = Prisma.sql`TRUE`): Prisma.Sql {
  return Prisma.sql`SELECT string_agg(s.pk || ' ' || s.view_version, ',' ORDER BY s.ord) FILTER (WHERE ${keep}) AS v, count(*)::int AS n FROM ${rows}`;
}

export function parseRunVersions(text: string | null | undefined): VersionedRun[] {
  if (!text) return [];
  return text.split(",").map((pair) => {
    const at = pair.indexOf(" ");
    return { pk: BigInt(pair.slice(0, at)), version: BigInt(pair.slice(at + 1)) };
  });
}

/**
 * The wire JSON of each run, in the same order; runs deleted meanwhile are left out. No permission
 * check: the caller has already decided which runs this actor may see.
 */
export async function runBodies(db: Db, runs: readonly VersionedRun[]): Promise<Buffer[]> {
  const bodies: (Buffer | undefined)[] = runs.map((r) => {
    const hit = cache.get(keyOf(db, r.pk));
    return hit && hit.version === r.version ? hit.body : undefined;
  });
  const misses = runs.filter((_, i) => bodies[i] === undefined);
  counters.hits += runs.length - misses.length;
  counters.misses += misses.length;
  if (misses.length) {
    const views = await loadRunViewsByPk(db, misses.map((m) => m.pk), { parallel: misses.length > 200 });
    runs.forEach((r, i) => {
      if (bodies[i] !== undefined) return;
      const view = views.get(String(r.pk));
      if (!view) return; // deleted since its version was read
      const body = Buffer.from(toWireJson(view));
      bodies[i] = body;
      // a slower builder of an older version must not replace a newer body
      const key = keyOf(db, r.pk);
      const held = cache.peek(key);
      if (!held || held.version <= r.version) cache.set(key, { version: r.version, body });
    });
  }
  return bodies.filter((b) => b !== undefined);
}
