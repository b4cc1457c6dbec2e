// What every bench entry point (tracking, registry, serving) does around its phases: parse the
// flags, open a scratch database with its clean-ups (Ctrl-C included), describe the machine, run
// the phases (a throwing phase reports its targets unmeasured), print the table and exit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyMigrations } from "@modelgate/db/migrate";
import type { Target } from "./context.ts";
import { machineBusyOver } from "./cpu.ts";
import { openBenchDatabase, readDurability, type BenchDatabase, type Durability } from "./database.ts";
import { durabilityRow } from "./durability-row.ts";
import { hasPortalBuild, type ServerMode } from "./processes.ts";
import { notMeasured, printTable, type Row } from "./report.ts";

/** `--name=value` → "value", `--name` → "", absent → undefined. */
export function arg(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : (hit.split("=", 2)[1] ?? "");
}

export const log = (line: string) => console.log(`[bench] ${line}`);

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Seconds since `t0` (a performance.now()), for the log. */
export const secondsSince = (t0: number, digits = 1) => ((performance.now() - t0) / 1000).toFixed(digits);

/** A group of targets measured together: when it throws, each of its targets is reported unmeasured. */
export interface BenchPhase<C extends { sizes: unknown }> {
  targets: (sizes: C["sizes"]) => Target[];
  run: (ctx: C) => Promise<Row[]>;
}

export interface BenchArgs {
  quick: boolean;
  /** The phases to run, in the order given (all of them by default). */
  only: string[];
  mode: ServerMode;
}

/** --quick, --only=a,b and --server=data-plane|full, checked before anything is started. */
export function parseBenchArgs(phases: Record<string, unknown>): BenchArgs {
  const known = Object.keys(phases);
  const only = (arg("only") ?? known.join(",")).split(",").filter(Boolean);
  const unknown = only.filter((p) => !phases[p]);
  if (unknown.length) throw new Error(`unknown phase(s): ${unknown.join(", ")}; known: ${known.join(", ")}`);
  const mode: ServerMode = (arg("server") as ServerMode | undefined) ?? "data-plane";
  if (mode !== "full" && mode !== "data-plane") throw new Error(`--server must be full or data-plane`);
  if (mode === "full" && !hasPortalBuild()) throw new Error("--server=full needs a portal build (apps/web/.next/BUILD_ID): run `npm run build` first");
  return { quick: arg("quick") !== undefined, only, mode };
}

export interface BenchEnv {
  workDir: string;
  db: BenchDatabase;
  durability: Durability;
  /** performance.now() when the bench started. */
  t0: number;
  /** Runs at the end (and on Ctrl-C) before the clean-ups added earlier: add a server's stop once it is up. */
  onCleanup: (fn: () => Promise<void>) => void;
}

/**
 * A fresh work dir and migrated database for `run`, removed afterwards whatever happens (on
 * SIGINT/SIGTERM too). Returns the rows `run` measured and the start time.
 */
export async function withBenchEnv(workDirPrefix: string, run: (env: BenchEnv) => Promise<Row[]>): Promise<{ rows: Row[]; t0: number }> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), workDirPrefix));
  const t0 = performance.now();
  const db = await openBenchDatabase(workDir);
  const cleanups: (() => Promise<void>)[] = [db.drop, async () => fs.rmSync(workDir, { recursive: true, force: true })];
  // Ctrl-C: still stop the servers and drop the database
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
    const rows = await run({ workDir, db, durability, t0, onCleanup: (fn) => cleanups.unshift(fn) });
    return { rows, t0 };
  } finally {
    for (const c of cleanups) await c().catch((e: unknown) => log(`cleanup: ${errorText(e)}`));
  }
}

const BUSY = 0.15;

/**
 * Logs the machine, Postgres and `setup` (what runs where), then measures how busy the machine is
 * with nothing of ours running yet. Returns the busy and durability rows that open every report.
 */
export async function logMachine(env: BenchEnv, quick: boolean, setup: string[]): Promise<Row[]> {
  const { durability: d } = env;
  const cpus = os.cpus();
  log(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${os.type()} ${os.release()}`);
  log(`node ${process.version}; PostgreSQL ${d.version}: ${env.db.where}`);
  log(`durability: fsync=${d.settings.fsync}, synchronous_commit=${d.settings.synchronous_commit}, wal_sync_method=${d.settings.wal_sync_method}`);
  for (const line of setup) log(line);
  const busy = await machineBusyOver(2000);
  const skewed = busy > BUSY;
  log(`machine ${(busy * 100).toFixed(0)} % busy before the bench starts its servers${skewed ? ": OTHER WORK IS RUNNING, the figures below are skewed by it" : ""}`);
  if (quick) log("QUICK MODE: reduced sizes, not the targets' (the run cannot pass)");
  const busyRow: Row = {
    target: "machine: busy before the run",
    required: "-",
    measured: `${(busy * 100).toFixed(0)} %`,
    ceiling: "-",
    ratio: "-",
    pass: null,
    note: skewed ? "other processes were using the CPU: the rates and latencies below share it with them" : "quiet (measured over 2 s before the servers started)",
  };
  return [busyRow, durabilityRow(d)];
}

/** Every target of the phases in `only`, unmeasured for `reason`. */
export function unmeasured<C extends { sizes: unknown }>(phases: Record<string, BenchPhase<C>>, only: string[], sizes: C["sizes"], reason: string): Row[] {
  return only.flatMap((name) => phases[name]!.targets(sizes).map((t) => notMeasured(t, reason)));
}

/** Runs the phases in `only` in turn; one that throws has its targets reported unmeasured and the next one runs. */
export async function runPhases<C extends { sizes: unknown }>(phases: Record<string, BenchPhase<C>>, only: string[], ctx: C): Promise<Row[]> {
  const rows: Row[] = [];
  for (const name of only) {
    const p0 = performance.now();
    log(`--- ${name}`);
    try {
      rows.push(...(await phases[name]!.run(ctx)));
    } catch (e) {
      const why = errorText(e);
      log(`${name} failed: ${why}`);
      rows.push(...unmeasured(phases, [name], ctx.sizes, why));
    }
    log(`${name} done in ${secondsSince(p0)} s`);
  }
  return rows;
}

/** Prints the table and the verdict; true when every target was met in a full-size run. */
export function finish(rows: Row[], quick: boolean, t0: number): boolean {
  console.log("");
  printTable(rows);
  const missed = rows.filter((r) => r.pass === false).length;
  console.log("");
  log(`${missed ? `${missed} target(s) missed` : "all targets met"}${quick ? " (QUICK MODE: not a target run)" : ""}; total ${secondsSince(t0, 0)} s`);
  return missed === 0 && !quick;
}

/** Exit code 0 when `main` resolves true, 1 on a miss or an error. */
export function exitWith(main: () => Promise<boolean>) {
  main().then(
    (ok) => process.exit(ok ? 0 : 1),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
