// The Python-client section of bench:tracking, measured as a user's training script talks to the
// server: the single calls one at a time (the per-call table), the ingest shape from 4 Python
// threads (each run: runs/create, its two log-batch calls, runs/update), and runs/search of the
// 2,000-run case, each next to the parse-only server driven by the same client in the same run.
import type { BenchContext, Phase, Sizes, Target } from "../lib/context.ts";
import { cpuDuring, describeCpu } from "../lib/cpu.ts";
import { withPg } from "../lib/database.ts";
import { errorText } from "../lib/harness.ts";
import { createExperiment } from "../lib/mlflow-http.ts";
import { logBatchBodies, runData, type RunShape } from "../lib/payloads.ts";
import { pythonClientProblem, pythonIngest, pythonSearch } from "../lib/python-clients.ts";
import { callRows, callTargets, TRACKING_CALLS } from "../lib/python-rows.ts";
import { fmtInt, fmtMs, median, notMeasured, type Row } from "../lib/report.ts";

/** bench:tracking's ingest shape: 20 params + 10 metrics x 100 steps = two log-batch bodies a run. */
const INGEST: RunShape = { params: 20, metricKeys: 10, steps: 100, tags: 0 };
const THREADS = 4;
/** search's 2,000-run case: 5 metrics, 3 params, 1 tag a run; about half match. */
const SEARCH: RunShape = { params: 3, metricKeys: 5, steps: 1, tags: 1 };
const SEARCH_REPEATS = 20;

const targets = (s: Sizes): Target[] => [
  ...callTargets(TRACKING_CALLS),
  { target: `python: ingest shape, ${s.ingestRuns} runs, ${THREADS} threads`, required: ">= 60 % of ceiling" },
  { target: `python: runs/search, ${fmtInt(s.searchSmallRuns)}-run case`, required: "<= 1.5x ceiling" },
];

/** Each thread's runs, each run its log-batch bodies with the run id left as "__RUN_ID__". */
function ingestBodies(runs: number): string[][][] {
  const out: string[][][] = Array.from({ length: THREADS }, () => []);
  const base = Date.now();
  for (let i = 0; i < runs; i++) {
    const d = runData(INGEST, base);
    out[i % THREADS]!.push(logBatchBodies("__RUN_ID__", d.metrics, d.params, d.tags));
  }
  return out;
}

async function storedPoints(ctx: BenchContext, experimentId: string): Promise<{ runs: number; points: number; finished: number }> {
  return withPg(ctx.databaseUrl, async (c) => {
    const r = await c.query<{ runs: string; points: string; finished: string }>(
      `SELECT count(*) AS runs, count(*) FILTER (WHERE r.status = 'FINISHED') AS finished,
         (SELECT count(*) FROM metric m JOIN run x ON x.pk = m.run_pk WHERE x.experiment_id = $1) AS points
       FROM run r WHERE r.experiment_id = $1`,
      [Number(experimentId)],
    );
    const row = r.rows[0]!;
    return { runs: Number(row.runs), points: Number(row.points), finished: Number(row.finished) };
  });
}

async function ingestRow(ctx: BenchContext, t: Target): Promise<Row> {
  const runs = ctx.sizes.ingestRuns;
  const api = ctx.api();
  const warmExp = await createExperiment(api, `bench-py-ingest-warm-${ctx.stamp}`);
  const exp = await createExperiment(api, `bench-py-ingest-${ctx.stamp}`);
  const warm = ingestBodies(THREADS * 2);
  const w1 = await pythonIngest(ctx.ceiling, warmExp, warm);
  const w2 = await pythonIngest(api, warmExp, warm);
  if (w1.error || w2.error) return notMeasured(t, (w1.error ?? w2.error)!);
  const bodies = ingestBodies(runs);
  const points = runs * INGEST.metricKeys * INGEST.steps;
  // the ceiling three times, keeping the best (the stricter yardstick); the server once (its data is checked)
  const ceilings = [];
  for (let i = 0; i < 3; i++) ceilings.push(await pythonIngest(ctx.ceiling, exp, bodies));
  const bad = ceilings.find((c) => c.error);
  if (bad) return notMeasured(t, bad.error!);
  const ceilingRate = Math.max(...ceilings.map((c) => points / c.seconds));
  const { result: measured, cpu } = await cpuDuring(ctx.serverPid(), () => pythonIngest(api, exp, bodies));
  if (measured.error) return notMeasured(t, measured.error);
  const rate = points / measured.seconds;
  const stored = await storedPoints(ctx, exp);
  const problem = stored.runs !== runs || stored.points !== points || stored.finished !== runs ? `stored ${stored.runs}/${runs} runs, ${stored.finished} finished, ${stored.points}/${points} points` : null;
  ctx.log(`python ingest shape: ceiling ${fmtInt(ceilingRate)} points/s, server ${fmtInt(rate)} points/s`);
  return {
    ...t,
    measured: `${fmtInt(rate)} points/s`,
    ceiling: `${fmtInt(ceilingRate)} points/s`,
    ratio: `${((rate / ceilingRate) * 100).toFixed(0)} %`,
    pass: rate >= 0.6 * ceilingRate && !problem,
    note: `${runs} runs x (runs/create, ${INGEST.params} params + ${INGEST.metricKeys} metrics x ${INGEST.steps} steps in 2 log-batch calls, runs/update) = ${measured.requests} requests in ${measured.seconds.toFixed(2)} s; ${THREADS} Python threads, a requests.Session each, bodies serialised beforehand (the run id put in as runs/create answers it); ceiling best of 3. ${problem ? `WRONG RESULT: ${problem}` : "every run, point and status stored"}. ${describeCpu(cpu)}`,
  };
}

async function seedSearch(ctx: BenchContext, experimentId: string): Promise<string | null> {
  const n = ctx.sizes.searchSmallRuns;
  const per = Math.ceil(n / ctx.pool.size);
  const specs = Array.from({ length: ctx.pool.size }, (_, c) => ({ experimentId, namePrefix: `py${c}`, count: Math.max(0, Math.min(per, n - c * per)), shape: SEARCH, baseTimestamp: Date.now() }));
  const r = await ctx.pool.seed(ctx.api(), specs);
  await withPg(ctx.databaseUrl, (c) => c.query("ANALYZE"));
  return r.error ?? null;
}

async function searchRow(ctx: BenchContext, t: Target): Promise<Row> {
  const api = ctx.api();
  const exp = await createExperiment(api, `bench-py-search-${ctx.stamp}`);
  const seedError = await seedSearch(ctx, exp);
  if (seedError) return notMeasured(t, seedError);
  // every match in one page (as mlflow.search_runs gets them), ordered by the metric
  const body = JSON.stringify({ experiment_ids: [exp], filter: "metrics.m0 > 0.5", run_view_type: "ACTIVE_ONLY", max_results: 50_000, order_by: ["metrics.m0"] });
  // the ceiling answers the very bytes Modelgate answers
  const res = await fetch(`${api.baseUrl}/api/2.0/mlflow/runs/search`, { method: "POST", headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" }, body });
  const answer = await res.text();
  if (!res.ok) return notMeasured(t, `runs/search: HTTP ${res.status} ${answer.slice(0, 200)}`);
  const put = await fetch(`${ctx.ceiling.baseUrl}/__bench/canned?path=${encodeURIComponent("/api/2.0/mlflow/runs/search")}`, { method: "PUT", body: answer });
  if (!put.ok) return notMeasured(t, `parse-only server refused the canned answer: HTTP ${put.status}`);
  const matches = (JSON.parse(answer) as { runs?: unknown[] }).runs?.length ?? 0;
  const ceiling = await pythonSearch(ctx.ceiling, body, SEARCH_REPEATS, 3);
  // later phases' runs/search ceiling answers {} again
  await fetch(put.url, { method: "PUT", body: "" });
  const measured = await pythonSearch(api, body, SEARCH_REPEATS, 3);
  const error = ceiling.error ?? measured.error ?? (measured.runs !== matches || ceiling.runs !== matches ? `runs returned: server ${measured.runs}, ceiling ${ceiling.runs}, expected ${matches}` : null);
  if (error) return notMeasured(t, error);
  const ms = median(measured.ms);
  const po = median(ceiling.ms);
  return {
    ...t,
    measured: fmtMs(ms),
    ceiling: fmtMs(po),
    ratio: `${(ms / po).toFixed(2)}x`,
    pass: ms <= 1.5 * po,
    note: `filter "metrics.m0 > 0.5" ordered by metrics.m0 over ${fmtInt(ctx.sizes.searchSmallRuns)} runs: ${matches} runs (${(answer.length / 1e6).toFixed(2)} MB) in one answer, decoded by the client; the ceiling answers the same bytes; medians of ${SEARCH_REPEATS} after 3 warm-ups each`,
  };
}

async function run(ctx: BenchContext): Promise<Row[]> {
  const all = targets(ctx.sizes);
  const [ingestT, searchT] = all.slice(-2) as [Target, Target];
  const problem = await pythonClientProblem();
  if (problem) {
    ctx.log(`python rows skipped: ${problem}`);
    return all.map((t) => ({ ...notMeasured(t, problem), pass: null }));
  }
  const rows = await callRows("tracking", ctx.api(), ctx.ceiling, ctx.databaseUrl, ctx.stamp, ctx.log);
  for (const [t, fn] of [
    [ingestT, ingestRow],
    [searchT, searchRow],
  ] as const) {
    try {
      rows.push(await fn(ctx, t));
    } catch (e) {
      rows.push(notMeasured(t, errorText(e)));
    }
  }
  return rows;
}

export const pythonTrackingPhase: Phase = { targets, run };
