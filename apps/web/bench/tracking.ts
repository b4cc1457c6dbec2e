// `npm run bench:tracking`: the tracking data plane under load, through HTTP and the MLflow wire
// protocol, next to a parse-only ceiling measured in the same run (server, clients and Postgres
// share the machine, so only the ratio travels). Prints target vs measured and exits 1 on a miss.
//
//   --only=ingest,search,history   run some phases
//   --server=data-plane|full       the data-plane app as `npm start` builds it (default), or
//                                  server/main.ts with both planes (needs apps/web/.next)
//   --quick                        small sizes to try the bench out (never passes)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyMigrations } from "@modelgate/db/migrate";
import { ClientPool } from "./lib/client-pool.ts";
import { FULL_SIZES, QUICK_SIZES, type BenchContext, type Phase } from "./lib/context.ts";
import { benchToken } from "./lib/bench-token.ts";
import { openBenchDatabase, readDurability, type BenchDatabase, type Durability } from "./lib/database.ts";
import { durabilityRow } from "./lib/durability-row.ts";
import { hasPortalBuild, startModelgate, startParseOnly, type ChildServer, type ServerMode } from "./lib/processes.ts";
import { notMeasured, printTable, type Row } from "./lib/report.ts";
import { historyPhase } from "./phases/history.ts";
import { ingestPhase } from "./phases/ingest.ts";
import { searchPhase } from "./phases/search.ts";

const CLIENTS = 4;
const PHASES: Record<string, Phase> = { ingest: ingestPhase, search: searchPhase, history: historyPhase };

function arg(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : (hit.split("=", 2)[1] ?? "");
}

const log = (line: string) => console.log(`[bench] ${line}`);

function machineInfo(db: BenchDatabase, d: Durability, mode: ServerMode, quick: boolean) {
  const cpus = os.cpus();
  log(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${os.type()} ${os.release()}`);
  log(`node ${process.version}; PostgreSQL ${d.version}: ${db.where}`);
  log(`server under test: ${mode === "full" ? "apps/web/server/main.ts (as `npm start` runs it: both planes, one process)" : "createDataPlaneApp alone (bench/data-plane-server.ts)"}; ${CLIENTS} clients in worker threads (fetch, keep-alive)`);
  log(`ceiling: bare node:http server in its own process that JSON-parses each body and answers {}`);
  if (quick) log("QUICK MODE: reduced sizes, not the targets' (the run cannot pass)");
}

async function main() {
  const quick = arg("quick") !== undefined;
  const sizes = quick ? QUICK_SIZES : FULL_SIZES;
  const only = (arg("only") ?? Object.keys(PHASES).join(",")).split(",").filter(Boolean);
  const unknown = only.filter((p) => !PHASES[p]);
  if (unknown.length) throw new Error(`unknown phase(s): ${unknown.join(", ")}; known: ${Object.keys(PHASES).join(", ")}`);
  const mode: ServerMode = (arg("server") as ServerMode | undefined) ?? "data-plane";
  if (mode !== "full" && mode !== "data-plane") throw new Error(`--server must be full or data-plane`);
  if (mode === "full" && !hasPortalBuild()) throw new Error("--server=full needs a portal build (apps/web/.next/BUILD_ID): run `npm run build` first");

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "mg-bench-"));
  const t0 = performance.now();
  const db = await openBenchDatabase(workDir);
  const cleanups: (() => Promise<void>)[] = [db.drop, async () => fs.rmSync(workDir, { recursive: true, force: true })];
  const rows: Row[] = [];
  let pool: ClientPool | undefined;
  // Ctrl-C: still stop the servers and drop the database
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void (async () => {
      await pool?.close();
      for (const c of cleanups) await c().catch(() => {});
      process.exit(130);
    })();
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    await applyMigrations(db.url);
    const durability = await readDurability(db.url);
    machineInfo(db, durability, mode, quick);
    rows.push(durabilityRow(durability));
    const token = await benchToken(db.url);

    let server: ChildServer = await startModelgate(mode, db.url, workDir);
    cleanups.unshift(() => server.stop());
    const parseOnly = await startParseOnly(workDir);
    cleanups.unshift(parseOnly.stop);
    log(`servers up after ${((performance.now() - t0) / 1000).toFixed(1)} s (modelgate pid ${server.pid}, parse-only pid ${parseOnly.pid})`);
    pool = new ClientPool(CLIENTS);
    const ctx: BenchContext = {
      restart: async () => {
        await server.stop();
        server = await startModelgate(mode, db.url, workDir);
        return server;
      },
      api: () => ({ baseUrl: server.url, token }),
      ceiling: { baseUrl: parseOnly.url, token },
      pool,
      databaseUrl: db.url,
      sizes,
      stamp: Date.now().toString(36),
      log,
    };
    for (const name of only) {
      const p0 = performance.now();
      log(`--- ${name}`);
      try {
        rows.push(...(await PHASES[name]!.run(ctx)));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        log(`${name} failed: ${why}`);
        rows.push(...PHASES[name]!.targets(sizes).map((t) => notMeasured(t, why)));
      }
      log(`${name} done in ${((performance.now() - p0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await pool?.close();
    for (const c of cleanups) await c().catch((e: unknown) => log(`cleanup: ${e instanceof Error ? e.message : String(e)}`));
  }
  console.log("");
  printTable(rows);
  const missed = rows.filter((r) => r.pass === false).length;
  console.log("");
  log(`${missed ? `${missed} target(s) missed` : "all targets met"}${quick ? " (QUICK MODE: not a target run)" : ""}; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return missed === 0 && !quick;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
