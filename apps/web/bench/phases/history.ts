// History: one metric with 1 000 000 points logged through log-batch (4 clients, 1000 points a
// call), then read back whole with get-history as the mlflow client does (max_results=25000,
// following next_page_token) from a freshly started, idle server while its RSS is watched; and a
// chart's get-history-bulk-interval over 10 runs.
import { sampleMetricSeries, systemActor } from "@modelgate/core";
import { createDb } from "@modelgate/db";
import type { BenchContext, Phase, Sizes, Target } from "../lib/context.ts";
import { errorText } from "../lib/harness.ts";
import { createExperiment, createRun, get, type Endpoint } from "../lib/mlflow-http.ts";
import { fmtInt, fmtMb, fmtMs, medianLatency, notMeasured, type Row } from "../lib/report.ts";
import { peakRssDuring, rssBytes } from "../lib/rss.ts";
import type { LoadSpec } from "../lib/worker-protocol.ts";

const KEY = "loss";
const CHART_MAX_RESULTS = 320; // what the MLflow UI asks per run for a sampled chart

interface HistoryPage {
  metrics?: { key: string; value: number; step: number; timestamp: number }[];
  next_page_token?: string;
}

/** Every page of one metric's history; checks the steps arrive complete and in order. */
async function fetchHistory(ep: Endpoint, runId: string): Promise<{ points: number; pages: number; inOrder: boolean }> {
  let token: string | undefined;
  let points = 0;
  let pages = 0;
  let lastStep = -1;
  let inOrder = true;
  do {
    const page = await get<HistoryPage>(ep, "metrics/get-history", { run_id: runId, run_uuid: runId, metric_key: KEY, max_results: 25_000, page_token: token });
    pages++;
    for (const m of page.metrics ?? []) {
      if (m.step < lastStep) inOrder = false;
      lastStep = m.step;
      points++;
    }
    token = page.next_page_token || undefined;
  } while (token);
  return { points, pages, inOrder };
}

function bulkInterval(ep: Endpoint, runIds: string[]) {
  return get<{ metrics?: { run_id: string; step: number }[] }>(ep, "metrics/get-history-bulk-interval", { run_ids: runIds, metric_key: KEY, max_results: CHART_MAX_RESULTS });
}

/** Splits steps [0, points) of the given runs over the clients. */
function seriesSpecs(runIds: string[], points: number, clients: number): LoadSpec[] {
  const per = Math.ceil(points / clients / 1000) * 1000;
  const baseTimestamp = Date.now();
  return Array.from({ length: clients }, (_, c) => ({ kind: "series", runIds, key: KEY, from: Math.min(points, c * per), to: Math.min(points, (c + 1) * per), baseTimestamp }));
}

/** Chart runs split over the clients, each client logging all steps of its runs. */
function chartSpecs(runIds: string[], steps: number, clients: number): LoadSpec[] {
  const baseTimestamp = Date.now();
  return Array.from({ length: clients }, (_, c) => ({ kind: "series", runIds: runIds.filter((_, i) => i % clients === c), key: KEY, from: 0, to: steps, baseTimestamp }));
}

const targets = (s: Sizes): [Target, Target] => [
  { target: `history: get-history of ${fmtInt(s.historyPoints)} points, RSS`, required: "< 200 MB above idle" },
  { target: `history: bulk-interval, chart of ${s.chartRuns} runs`, required: "<= 100 ms median" },
];

async function run(ctx: BenchContext): Promise<Row[]> {
  const { pool, sizes } = ctx;
  const [historyT, chartT] = targets(sizes);
  const rows: Row[] = [];
  const api = ctx.api();
  const experimentId = await createExperiment(api, `bench-history-${ctx.stamp}`);
  const longRun = await createRun(api, experimentId, "long", Date.now());
  const chartRuns: string[] = [];
  for (let i = 0; i < sizes.chartRuns; i++) chartRuns.push(await createRun(api, experimentId, `chart-${i}`, Date.now()));

  // --- data, through the API
  await pool.prepare(seriesSpecs([longRun], sizes.historyPoints, pool.size));
  const logged = await pool.send(api);
  if (logged.error) return [notMeasured(historyT, logged.error), notMeasured(chartT, logged.error)];
  ctx.log(`logged ${fmtInt(logged.points)} points of one metric in ${logged.seconds.toFixed(1)} s`);
  rows.push({
    target: `ingest: one metric, ${fmtInt(sizes.historyPoints)} points`,
    required: "-",
    measured: `${fmtInt(logged.points / logged.seconds)} points/s`,
    ceiling: "-",
    ratio: "-",
    pass: null,
    note: `4 clients, ${logged.requests} log-batch calls of 1000 points, all on one (run, key): its latest-value row is contended`,
  });
  await pool.prepare(chartSpecs(chartRuns, sizes.chartSteps, pool.size));
  const chartLogged = await pool.send(api);

  // --- the whole history from a fresh server: idle is a just-started, warmed-up process
  const server = await ctx.restart();
  const fresh = ctx.api();
  try {
    await fetchHistory(fresh, chartRuns[0] ?? longRun); // warm the code path on a small history
    await new Promise((r) => setTimeout(r, 1500));
    const idle = rssBytes(server.pid);
    const t0 = performance.now();
    const { result, peakBytes, exactPeak } = await peakRssDuring(server.pid, () => fetchHistory(fresh, longRun));
    const seconds = (performance.now() - t0) / 1000;
    const above = peakBytes - idle;
    const problem = result.points !== sizes.historyPoints ? `returned ${fmtInt(result.points)} points` : !result.inOrder ? "steps out of order" : null;
    rows.push({
      ...historyT,
      measured: `${fmtMb(above)} above idle`,
      ceiling: "-",
      ratio: "-",
      pass: above < 200 * 1024 * 1024 && !problem,
      note: `restarted server, idle ${fmtMb(idle)}, peak ${fmtMb(peakBytes)} (${exactPeak ? "VmHWM after clear_refs, exact" : "VmRSS sampled every 10 ms"}); ${fmtInt(result.points)} points in ${result.pages} pages of max_results=25000, ${seconds.toFixed(1)} s (${fmtInt(result.points / seconds)} points/s)${problem ? `; WRONG RESULT: ${problem}` : ""}`,
    });
  } catch (e) {
    rows.push(notMeasured(historyT, errorText(e)));
  }

  // --- a chart
  if (chartLogged.error) {
    rows.push(notMeasured(chartT, chartLogged.error));
    return rows;
  }
  try {
    const first = await bulkInterval(fresh, chartRuns);
    const perRun = new Set((first.metrics ?? []).map((m) => m.run_id));
    const problem = perRun.size !== chartRuns.length ? `points for ${perRun.size} of ${chartRuns.length} runs` : null;
    const { ms, samples } = await medianLatency(() => bulkInterval(fresh, chartRuns), sizes.repeats);
    const ceiling = (await medianLatency(() => bulkInterval(ctx.ceiling, chartRuns), sizes.repeats)).ms;
    rows.push({
      ...chartT,
      measured: fmtMs(ms),
      ceiling: `${fmtMs(ceiling)} / request`,
      ratio: "-",
      pass: ms <= 100 && !problem,
      note: `${sizes.chartRuns} runs x ${fmtInt(sizes.chartSteps)} steps of "${KEY}", max_results=${CHART_MAX_RESULTS}: ${(first.metrics ?? []).length} points returned; median of ${samples}${problem ? `; WRONG RESULT: ${problem}` : ""}`,
    });
    const withLong = [longRun, ...chartRuns.slice(1)];
    const long = await medianLatency(() => bulkInterval(fresh, withLong), sizes.repeats, { warmups: 0 });
    rows.push({
      target: `history: same chart, one run ${fmtInt(sizes.historyPoints)} pts`,
      required: "-",
      measured: fmtMs(long.ms),
      ceiling: "-",
      ratio: "-",
      pass: null,
      note: `the chart with its first run replaced by the ${fmtInt(sizes.historyPoints)}-point one; median of ${long.samples}`,
    });
    rows.push(await portalChartRow(ctx, longRun, sizes.historyPoints));
  } catch (e) {
    rows.push(notMeasured(chartT, errorText(e)));
  }
  return rows;
}

/**
 * The portal's chart of the long run: core's sampleMetricSeries (what the tRPC route calls) at the
 * portal's 1000 points, from this process (the portal is Next.js, not the data-plane server).
 */
async function portalChartRow(ctx: BenchContext, runId: string, points: number): Promise<Row> {
  const db = createDb({ url: ctx.databaseUrl, max: 2 });
  try {
    const core = { db, actor: systemActor("bench") };
    let drawn = 0;
    const { ms, samples } = await medianLatency(async () => {
      const [series] = await sampleMetricSeries(core, { run_ids: [runId], keys: [KEY], max_points: 1000 });
      drawn = series?.points.length ?? 0;
    }, 5);
    return {
      target: `history: portal chart of ${fmtInt(points)} pts`,
      required: "-",
      measured: fmtMs(ms),
      ceiling: "-",
      ratio: "-",
      pass: null,
      note: `core's sampleMetricSeries (the run page's chart query) at max_points=1000: ${drawn} points drawn; median of ${samples}, in the bench process`,
    };
  } finally {
    await db.$disconnect();
  }
}

export const historyPhase: Phase = { targets, run };
