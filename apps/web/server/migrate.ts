// `node apps/web/dist/migrate.mjs`: applies pending migrations to DATABASE_URL and exits, for a
// deployment step of its own (a Kubernetes init container, a release job). Safe from several
// processes at once: one applies, the others wait for it (MIGRATION_LOCK) and find nothing left.
import { applyMigrations, waitForDatabase } from "@modelgate/db/migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("[modelgate] DATABASE_URL is required: the PostgreSQL database to migrate");
  process.exit(2);
}
const log = (line: string) => console.log(`[modelgate] ${line}`);
try {
  await waitForDatabase(url, { timeoutMs: Number(process.env.DATABASE_WAIT_SECONDS ?? 60) * 1000, log });
  const applied = await applyMigrations(url, { log });
  log(applied.length ? `applied migrations: ${applied.join(", ")}` : "database schema up to date: nothing to apply");
} catch (e) {
  console.error(`[modelgate] migrations failed: ${(e as Error).message}`);
  process.exit(1);
}
