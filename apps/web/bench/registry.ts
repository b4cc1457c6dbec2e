// `npm run bench:registry`: the model registry through HTTP and the MLflow wire protocol:
// concurrent version creation on one model (rate, and gap-free numbers), and the two searches over
// 10 000 models x 10 versions. Prints target vs measured and exits 1 on a miss.
//
//   --only=create,search           run some phases
//   --server=data-plane|full       the data-plane app as `npm start` builds it (default), or
//                                  server/main.ts with both planes (needs apps/web/.next)
//   --quick                        small sizes to try the bench out (never passes)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyMigrations } from "@modelgate/db/migrate";
import { benchToken } from "./lib/bench-token.ts";
import { machineBusyOver } from "./lib/cpu.ts";
import { openBenchDatabase, readDurability } from "./lib/database.ts";
import { durabilityRow } from "./lib/durability-row.ts";
import { hasPortalBuild, startModelgate, type ServerMode } from "./lib/processes.ts";
import { REGISTRY_FULL_SIZES, REGISTRY_QUICK_SIZES, type RegistryContext, type RegistryPhase } from "./lib/registry-context.ts";
import { notMeasured, printTable, type Row } from "./lib/report.ts";
import { registryCreatePhase } from "./phases/registry-create.ts";
import { registrySearchPhase } from "./phases/registry-search.ts";

const PHASES: Record<string, RegistryPhase> = { create: registryCreatePhase, search: registrySearchPhase };
/** createDb's max in data-plane-server.ts (and server/main.ts). */
const SERVER_POOL_SIZE = 10;

function arg(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : (hit.split("=", 2)[1] ?? "");
}

const log = (line: string) => console.log(`[bench] ${line}`);

async function main() {
  const quick = arg("quick") !== undefined;
  const sizes = quick ? REGISTRY_QUICK_SIZES : REGISTRY_FULL_SIZES;
  const only = (arg("only") ?? Object.keys(PHASES).join(",")).split(",").filter(Boolean);
  const unknown = only.filter((p) => !PHASES[p]);
  if (unknown.length) throw new Error(`unknown phase(s): ${unknown.join(", ")}; known: ${Object.keys(PHASES).join(", ")}`);
  const mode: ServerMode = (arg("server") as ServerMode | undefined) ?? "data-plane";
  if (mode !== "full" && mode !== "data-plane") throw new Error(`--server must be full or data-plane`);
  if (mode === "full" && !hasPortalBuild()) throw new Error("--server=full needs a portal build (apps/web/.next/BUILD_ID): run `npm run build` first");

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "mg-bench-registry-"));
  const t0 = performance.now();
  const db = await openBenchDatabase(workDir);
  const cleanups: (() => Promise<void>)[] = [db.drop, async () => fs.rmSync(workDir, { recursive: true, force: true })];
  const rows: Row[] = [];
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void (async () => {
      for (const c of cleanups) await c().catch(() => {});
      process.exit(130);
    })();
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    await applyMigrations(db.url);
    const durability = await readDurability(db.url);
    const cpus = os.cpus();
    log(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${os.type()} ${os.release()}`);
    log(`node ${process.version}; PostgreSQL ${durability.version}: ${db.where}`);
    log(`durability: fsync=${durability.settings.fsync}, synchronous_commit=${durability.settings.synchronous_commit}, wal_sync_method=${durability.settings.wal_sync_method}`);
    log(`server under test: ${mode === "full" ? "apps/web/server/main.ts (both planes, one process)" : "createDataPlaneApp alone (bench/data-plane-server.ts)"}; clients: async loops in this process (node:http keep-alive for create, fetch for search)`);
    const busy = await machineBusyOver(2000);
    log(`machine ${(busy * 100).toFixed(0)} % busy before the bench starts its server${busy > 0.15 ? ": OTHER WORK IS RUNNING, the figures below are skewed by it" : ""}`);
    rows.push({ target: "machine: busy before the run", required: "-", measured: `${(busy * 100).toFixed(0)} %`, ceiling: "-", ratio: "-", pass: null, note: busy > 0.15 ? "other processes were using the CPU: the rates and latencies below share it with them" : "quiet (measured over 2 s before the server started)" });
    if (quick) log("QUICK MODE: reduced sizes, not the targets' (the run cannot pass)");
    rows.push(durabilityRow(durability));
    const token = await benchToken(db.url);

    const server = await startModelgate(mode, db.url, workDir);
    cleanups.unshift(() => server.stop());
    log(`server up after ${((performance.now() - t0) / 1000).toFixed(1)} s (modelgate pid ${server.pid})`);
    const ctx: RegistryContext = { api: { baseUrl: server.url, token }, serverPid: server.pid, databaseUrl: db.url, serverPoolSize: SERVER_POOL_SIZE, sizes, stamp: Date.now().toString(36), log };
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
