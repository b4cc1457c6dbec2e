import { sqlQuery, Prisma, type Db } from "@modelgate/db";
import { pendingMigrations } from "@modelgate/db/migrate";

// GET /ready: whether this replica should get traffic. Liveness (/health) only says the process
// runs; readiness says it can serve: the database answers, its schema is this build's, the
// serving endpoints have been loaded, and the replica is not shutting down.

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}
export type Readiness = () => Promise<Record<string, ReadinessCheck>>;

/** Each check's time limit: a database that does not answer makes the replica unready, not a hung probe. */
const CHECK_TIMEOUT_MS = 2000;

async function withinTimeout(check: Promise<ReadinessCheck>, what: string): Promise<ReadinessCheck> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ReadinessCheck>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `${what} did not answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.catch((e: unknown) => ({ ok: false, detail: `${what}: ${(e as Error).message}` })), late]);
  } finally {
    clearTimeout(timer);
  }
}

export const databaseCheck = (db: Db): Promise<ReadinessCheck> =>
  withinTimeout(
    sqlQuery(db, Prisma.sql`SELECT 1`, { prepare: true }).then(() => ({ ok: true })),
    "the database",
  );

export interface ReplicaReadinessOptions {
  db: Db;
  databaseUrl: string;
  /** True once SIGTERM arrived: the balancer should stop sending requests here. */
  draining: () => boolean;
  /** Settles once the serving endpoints have been loaded (or tried: one broken model does not keep the replica out). */
  servingLoaded: Promise<unknown>;
}

/** The server's readiness: not draining, database reachable, no migration pending, serving endpoints loaded. */
export function replicaReadiness({ db, databaseUrl, draining, servingLoaded }: ReplicaReadinessOptions): Readiness {
  let migrated = false; // once up to date, it stays so for this build
  let serving = false;
  const loaded = () => {
    serving = true;
  };
  servingLoaded.then(loaded, loaded);
  const migrations = async (): Promise<ReadinessCheck> => {
    if (migrated) return { ok: true };
    const pending = await pendingMigrations(databaseUrl);
    if (pending.length) return { ok: false, detail: `${pending.length} migration(s) not applied: ${pending.join(", ")}` };
    migrated = true;
    return { ok: true };
  };
  return async () => {
    const [database, schema] = await Promise.all([databaseCheck(db), withinTimeout(migrations(), "the migrations check")]);
    return {
      draining: draining() ? { ok: false, detail: "shutting down: finishing the requests in flight" } : { ok: true },
      database,
      migrations: database.ok ? schema : { ok: false, detail: "database unreachable" },
      serving: serving ? { ok: true } : { ok: false, detail: "loading the serving endpoints' models" },
    };
  };
}
