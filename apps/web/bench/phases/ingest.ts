// Ingest: runs × (params + metric keys × steps) through log-batch calls of up to 1000 entities
// (chunked as MlflowClient.log_batch does) from the concurrent clients, against the parse-only
// ceiling with the very same bodies, then a check that history and latest values were written.
import type { BenchContext, Phase, Sizes, Target } from "../lib/context.ts";
import { withPg } from "../lib/database.ts";
import { createExperiment, createRun, type Endpoint } from "../lib/mlflow-http.ts";
import type { RunShape } from "../lib/payloads.ts";
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
  const measured = await pool.send(api);
  if (measured.error) return [notMeasured(rateT, measured.error), notMeasured(storedT, measured.error)];
  const rate = measured.points / measured.seconds;
  const ratio = rate / ceilingRate;
  ctx.log(`server: ${fmtInt(rate)} points/s (${measured.requests} requests, ${(measured.bytes / 1e6).toFixed(1)} MB in ${measured.seconds.toFixed(2)} s)`);

  const problem = await verify(ctx, experimentId, runIds.length);
  return [
    {
      ...rateT,
      measured: `${fmtInt(rate)} points/s`,
      ceiling: `${fmtInt(ceilingRate)} points/s`,
      ratio: `${(ratio * 100).toFixed(0)} %`,
      pass: ratio >= 0.6 && !problem,
      note: `${sizes.ingestRuns} runs x (${SHAPE.params} params + ${SHAPE.metricKeys} metrics x ${SHAPE.steps} steps) = ${fmtInt(measured.points)} points in ${measured.requests} log-batch calls (${(measured.bytes / 1e6).toFixed(1)} MB of JSON) in ${measured.seconds.toFixed(2)} s; 60 % of the ceiling is ${fmtInt(ceilingRate * 0.6)} points/s (the issue's figures, from a Python client: ceiling ~110 000, target ~65 000 points/s)`,
    },
    { ...storedT, measured: problem ?? "all stored, latest values correct", ceiling: "-", ratio: "-", pass: problem === null },
    {
      target: "ingest: vs the issue's absolute reference",
      required: "~65,000 points/s",
      measured: `${fmtInt(rate)} points/s`,
      ceiling: "~110,000 (Python)",
      ratio: `${((rate / 65_000) * 100).toFixed(0)} %`,
      pass: null,
      note: "the issue measured its ceiling with a Python client from 4 threads, which bounds it; these Node clients send faster, so the ratio above is against a higher ceiling",
    },
  ];
}

export const ingestPhase: Phase = { targets, run };
