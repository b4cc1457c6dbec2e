// `npm run bench:serving`: model serving through HTTP. A 10-feature linear ONNX model is logged,
// registered and put behind an endpoint through the API; then online scoring (10 clients, 1-row
// requests) next to a parse-only ceiling measured in the same run, and batch scoring of a
// 1 000 000-row CSV. Prints target vs measured and exits 1 on a miss.
//
//   --only=online,batch            run some phases
//   --server=data-plane|full       the data-plane app wired for serving as server/main.ts wires it
//                                  (default), or server/main.ts itself (needs apps/web/.next)
//   --quick                        small sizes to try the bench out (never passes)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyMigrations } from "@modelgate/db/migrate";
import { benchToken } from "./lib/bench-token.ts";
import { machineBusyOver } from "./lib/cpu.ts";
import { openBenchDatabase, readDurability } from "./lib/database.ts";
import { hasPortalBuild, startModelgate, startScoringParseOnly, type ServerMode } from "./lib/processes.ts";
import { notMeasured, printTable, type Row } from "./lib/report.ts";
import { SERVING_FULL_SIZES, SERVING_QUICK_SIZES, type ServedModel, type ServingContext, type ServingPhase } from "./lib/serving-context.ts";
import { servingBatchPhase } from "./phases/serving-batch.ts";
import { servingOnlinePhase } from "./phases/serving-online.ts";
import { setUpServedModel } from "./phases/serving-setup.ts";

const PHASES: Record<string, ServingPhase> = { online: servingOnlinePhase, batch: servingBatchPhase };

function arg(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : (hit.split("=", 2)[1] ?? "");
}

const log = (line: string) => console.log(`[bench] ${line}`);

async function main() {
  const quick = arg("quick") !== undefined;
  const sizes = quick ? SERVING_QUICK_SIZES : SERVING_FULL_SIZES;
  const only = (arg("only") ?? Object.keys(PHASES).join(",")).split(",").filter(Boolean);
  const unknown = only.filter((p) => !PHASES[p]);
  if (unknown.length) throw new Error(`unknown phase(s): ${unknown.join(", ")}; known: ${Object.keys(PHASES).join(", ")}`);
  const mode: ServerMode = (arg("server") as ServerMode | undefined) ?? "data-plane";
  if (mode !== "full" && mode !== "data-plane") throw new Error(`--server must be full or data-plane`);
  if (mode === "full" && !hasPortalBuild()) throw new Error("--server=full needs a portal build (apps/web/.next/BUILD_ID): run `npm run build` first");

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "mg-bench-serving-"));
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
    log(`server under test: ${mode === "full" ? "apps/web/server/main.ts (both planes, one process)" : "createDataPlaneApp with the artifact store, serving runtime and batch worker (bench/data-plane-server.ts, BENCH_SERVING=1)"}; artifacts in a local store under ${workDir}`);
    const busy = await machineBusyOver(2000);
    log(`machine ${(busy * 100).toFixed(0)} % busy before the bench starts its servers${busy > 0.15 ? ": OTHER WORK IS RUNNING, the figures below are skewed by it" : ""}`);
    rows.push({ target: "machine: busy before the run", required: "-", measured: `${(busy * 100).toFixed(0)} %`, ceiling: "-", ratio: "-", pass: null, note: busy > 0.15 ? "other processes were using the CPU: the rates and latencies below share it with them" : "quiet (measured over 2 s before the servers started)" });
    if (quick) log("QUICK MODE: reduced sizes, not the targets' (the run cannot pass)");
    const token = await benchToken(db.url);

    const server = await startModelgate(mode, db.url, workDir, { serving: true });
    cleanups.unshift(() => server.stop());
    log(`server up after ${((performance.now() - t0) / 1000).toFixed(1)} s (modelgate pid ${server.pid})`);
    const ceiling = only.includes("online") ? await startScoringParseOnly(workDir) : null;
    if (ceiling) {
      cleanups.unshift(() => ceiling.stop());
      log(`parse-only scoring server up (pid ${ceiling.pid})`);
    }
    const api = { baseUrl: server.url, token };
    const stamp = Date.now().toString(36);
    let model: ServedModel | null;
    try {
      model = await setUpServedModel(api, stamp, log);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      log(`set-up failed: ${why}\n${server.logTail()}`);
      for (const name of only) rows.push(...PHASES[name]!.targets(sizes).map((t) => notMeasured(t, `set-up failed: ${why}`)));
      model = null;
    }
    if (model) {
      const ctx: ServingContext = { api, serverPid: server.pid, ceiling, model, sizes, stamp, log };
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
