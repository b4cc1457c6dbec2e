// Ingest: runs × (params + metric keys × steps) through log-batch calls of up to 1000 entities
// (chunked as MlflowClient.log_batch does) from the concurrent clients, against the parse-only
// ceiling with the very same bodies, then a check that history and latest values were written.
import type { BenchContext, Phase, Sizes, Target } from "../lib/context.ts";
import { withPg } from "../lib/database.ts";
import { createExperiment, createRun, type Endpoint } from "../lib/mlflow-http.ts";
import { logBatchBodies, runData, type RunShape } from "../lib/payloads.ts";
import { pythonClientProblem, pythonSend } from "../lib/python-clients.ts";
import { logBatch, systemActor, type LogBatchInput } from "@modelgate/core";
import { createDb } from "@modelgate/db";
import { cpuDuring, describeCpu } from "../lib/cpu.ts";
import { fmtInt, notMeasured, type Row } from "../lib/report.ts";
import type { LoadSpec } from "../lib/worker-protocol.ts";

const SHAPE: RunShape = { params: 20, metricKeys: 10, steps: 100, tags: 0 };
const targets = (s: Sizes): [Target, Target] => [
  { target: `ingest: ${s.ingestRuns} runs via log-batch, 4 clients`, required: ">= 60 % of ceiling" },
  { target: "ingest: history + latest-value table", required: "all stored, latest correct" },
];

async function createRuns(api: Endpoint, experimentId: string, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  const now = Date.now();
  // a few in flight at a time: set-up, not measured
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, (_, j) => createRun(api, experimentId, `${prefix}-${i + j}`, now + i + j));
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

function specsFor(runIds: string[], clients: number): LoadSpec[] {
  const baseTimestamp = Date.now();
  return Array.from({ length: clients }, (_, c) => ({ kind: "runs", runIds: runIds.filter((_, i) => i % clients === c), shape: SHAPE, baseTimestamp }));
}

/** History rows, latest rows, latest = the step-99 value, params: all as logged. */
async function verify(ctx: BenchContext, experimentId: string, runs: number): Promise<string | null> {
  return withPg(ctx.databaseUrl, async (c) => {
    const exp = Number(experimentId);
    const q = async (sql: string, params: unknown[] = [exp]) => Number((await c.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);
    const history = await q("SELECT count(*) AS n FROM metric m JOIN run r ON r.pk = m.run_pk WHERE r.experiment_id = $1");
    const latest = await q(
      `SELECT count(*) AS n FROM latest_metric lm JOIN run r ON r.pk = lm.run_pk
       JOIN metric m ON m.run_pk = lm.run_pk AND m.key = lm.key AND m.step = lm.step AND m.value = lm.value
       WHERE r.experiment_id = $1 AND lm.step = $2`,
      [exp, SHAPE.steps - 1],
    );
    const params = await q("SELECT count(*) AS n FROM param p JOIN run r ON r.pk = p.run_pk WHERE r.experiment_id = $1");
    const want = { history: runs * SHAPE.metricKeys * SHAPE.steps, latest: runs * SHAPE.metricKeys, params: runs * SHAPE.params };
    if (history !== want.history || latest !== want.latest || params !== want.params) {
      return `stored ${history}/${want.history} metric points, ${latest}/${want.latest} correct latest values, ${params}/${want.params} params`;
    }
    return null;
  });
}

/** Each client's bodies (a Python thread, or a caller of core): runs dealt round-robin, each run's bodies in the client's order. */
function bodiesPerClient(runIds: string[], threads: number): string[][] {
  const baseTimestamp = Date.now();
  const out: string[][] = Array.from({ length: threads }, () => []);
  runIds.forEach((runId, i) => {
    const d = runData(SHAPE, baseTimestamp);
    out[i % threads]!.push(...logBatchBodies(runId, d.metrics, d.params, d.tags));
  });
  return out;
}

/**
 * The same load from 4 Python threads (requests.Session, as MlflowClient sends), bodies serialised
 * beforehand. Informational: it shows what a Python client costs when it only sends, next to the
 * issue's ~110,000 points/s ceiling measured with a Python client that also built each body.
 */
async function pythonRow(ctx: BenchContext, experimentId: string): Promise<Row> {
  const row = { target: "ingest: same load, 4 Python threads", required: "-" };
  const problem = await pythonClientProblem();
  if (problem) return { ...notMeasured(row, problem), pass: null };
  const { sizes, pool } = ctx;
  const api = ctx.api();
  const runIds = await createRuns(api, experimentId, sizes.ingestRuns, "ingest-py");
  const warmIds = await createRuns(api, experimentId, 4 * pool.size, "warmup-py");
  const warm = bodiesPerClient(warmIds, pool.size);
  await pythonSend(ctx.ceiling, warm);
  const w = await pythonSend(api, warm);
  if (w.error) return { ...notMeasured(row, w.error), pass: null };
  const bodies = bodiesPerClient(runIds, pool.size);
  const points = runIds.length * SHAPE.metricKeys * SHAPE.steps;
  const ceilings = [await pythonSend(ctx.ceiling, bodies), await pythonSend(ctx.ceiling, bodies), await pythonSend(ctx.ceiling, bodies)];
  const ceilingRate = Math.max(...ceilings.map((r) => points / r.seconds));
  const measured = await pythonSend(api, bodies);
  if (measured.error) return { ...notMeasured(row, measured.error), pass: null };
  const rate = points / measured.seconds;
  ctx.log(`python clients: ceiling ${fmtInt(ceilingRate)} points/s, server ${fmtInt(rate)} points/s`);
  const stored = await verify(ctx, experimentId, runIds.length + warmIds.length);
  return {
    ...row,
    measured: `${fmtInt(rate)} points/s`,
    ceiling: `${fmtInt(ceilingRate)} points/s`,
    ratio: `${((rate / ceilingRate) * 100).toFixed(0)} %`,
    pass: null,
    note:
      stored ??
      `python-calls.py (batches): python3 + requests, ${pool.size} threads, one Session each, bodies serialised before the clock; against the ceiling (best of 3) and the server, in this run`,
  };
}

/**
 * The same load with no HTTP and no clients: 4 callers in this process JSON-parse each body and call
 * core's logBatch over a pool as large as the server's. What the database and core alone reach
 * here, sharing the machine with nothing but each other: a bound on the server, in the same run.
 */
async function coreAloneRow(ctx: BenchContext, experimentId: string): Promise<Row> {
  const { sizes, pool } = ctx;
  const api = ctx.api();
  const runIds = await createRuns(api, experimentId, sizes.ingestRuns, "ingest-core");
  const warmIds = await createRuns(api, experimentId, 4 * pool.size, "warmup-core");
  const db = createDb({ url: ctx.databaseUrl, max: 10 });
  const core = { db, actor: systemActor("bench") };
  const callers = async (bodies: string[][]) => {
    const t0 = performance.now();
    await Promise.all(bodies.map(async (mine) => {
      for (const body of mine) await logBatch(core, JSON.parse(body) as LogBatchInput);
    }));
    return (performance.now() - t0) / 1000;
  };
  try {
    await callers(bodiesPerClient(warmIds, pool.size));
    const bodies = bodiesPerClient(runIds, pool.size);
    // "server" and "clients" are both this process here: its CPU is counted in both columns
    const { result: seconds, cpu } = await cpuDuring(process.pid, () => callers(bodies));
    const points = runIds.length * SHAPE.metricKeys * SHAPE.steps;
    const stored = await verify(ctx, experimentId, runIds.length + warmIds.length);
    ctx.log(`core alone: ${fmtInt(points / seconds)} points/s in ${seconds.toFixed(2)} s`);
    return {
      target: "ingest: core + PostgreSQL alone (no HTTP)",
      required: "-",
      measured: `${fmtInt(points / seconds)} points/s`,
      ceiling: "-",
      ratio: "-",
      pass: null,
      note:
        stored ??
        `${pool.size} callers in the bench process: JSON.parse + core's logBatch over a pool of 10 (the server's), bodies of the same shape; no HTTP, no client processes: an upper bound on the server here. CPU in cores: Node ${cpu.server.toFixed(2)}, Postgres (all backends) ${cpu.postgres.toFixed(2)}; machine ${(cpu.machineBusy * 100).toFixed(0)} % busy of ${cpu.cores} cores`,
    };
  } finally {
    await db.$disconnect();
  }
}

async function run(ctx: BenchContext): Promise<Row[]> {
  const { pool, sizes } = ctx;
  const [rateT, storedT] = targets(sizes);
  const api = ctx.api();
  const experimentId = await createExperiment(api, `bench-ingest-${ctx.stamp}`);
  const warmExperiment = await createExperiment(api, `bench-ingest-warmup-${ctx.stamp}`);
  const runIds = await createRuns(api, experimentId, sizes.ingestRuns, "ingest");
  const warmIds = await createRuns(api, warmExperiment, 4 * pool.size, "warmup");

  // warm both servers (JIT, connection pools, keep-alive sockets) with other runs
  await pool.prepare(specsFor(warmIds, pool.size));
  await pool.send(ctx.ceiling);
  const warm = await pool.send(api);
  if (warm.error) return [notMeasured(rateT, warm.error), notMeasured(storedT, warm.error)];

  await pool.prepare(specsFor(runIds, pool.size));
  // the ceiling three times, keeping the best (the stricter yardstick); the server once (the data is kept)
  const ceilings = [await pool.send(ctx.ceiling), await pool.send(ctx.ceiling), await pool.send(ctx.ceiling)];
  const ceilingRate = Math.max(...ceilings.map((r) => r.points / r.seconds));
  ctx.log(`ceiling: ${fmtInt(ceilingRate)} points/s (${ceilings.map((r) => r.seconds.toFixed(2)).join(" s, ")} s)`);
  const { result: measured, cpu } = await cpuDuring(ctx.serverPid(), () => pool.send(api));
  if (measured.error) return [notMeasured(rateT, measured.error), notMeasured(storedT, measured.error)];
  const rate = measured.points / measured.seconds;
  const ratio = rate / ceilingRate;
  ctx.log(`server: ${fmtInt(rate)} points/s (${measured.requests} requests, ${(measured.bytes / 1e6).toFixed(1)} MB in ${measured.seconds.toFixed(2)} s)`);

  const problem = await verify(ctx, experimentId, runIds.length);
  const coreAlone = await coreAloneRow(ctx, await createExperiment(api, `bench-ingest-core-${ctx.stamp}`));
  const python = await pythonRow(ctx, await createExperiment(api, `bench-ingest-python-${ctx.stamp}`));
  return [
    {
      ...rateT,
      measured: `${fmtInt(rate)} points/s`,
      ceiling: `${fmtInt(ceilingRate)} points/s`,
      ratio: `${(ratio * 100).toFixed(0)} %`,
      pass: ratio >= 0.6 && !problem,
      note: `${sizes.ingestRuns} runs x (${SHAPE.params} params + ${SHAPE.metricKeys} metrics x ${SHAPE.steps} steps) = ${fmtInt(measured.points)} points in ${measured.requests} log-batch calls (${(measured.bytes / 1e6).toFixed(1)} MB of JSON) in ${measured.seconds.toFixed(2)} s; 60 % of the ceiling is ${fmtInt(ceilingRate * 0.6)} points/s (the issue's figures, from a Python client: ceiling ~110 000, target ~65 000 points/s). ${describeCpu(cpu)}`,
    },
    { ...storedT, measured: problem ?? "all stored, latest values correct", ceiling: "-", ratio: "-", pass: problem === null },
    coreAlone,
    python,
    {
      target: "ingest: vs the issue's absolute reference",
      required: "~65,000 points/s",
      measured: `${fmtInt(rate)} points/s`,
      ceiling: "~110,000 (Python)",
      ratio: `${((rate / 65_000) * 100).toFixed(0)} %`,
      pass: null,
      note: "the issue measured its ~110,000 points/s ceiling with a Python client from 4 threads that built each body as it went; these clients (Node, and Python above) send bodies built beforehand, so the ceilings here are several times higher",
    },
  ];
}

export const ingestPhase: Phase = { targets, run };
