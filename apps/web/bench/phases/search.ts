// Search: runs/search with `metrics.m0 > 0.5` ordered by `metrics.m0`, over runs with 5 metrics,
// 3 params and 1 tag each. The small set is logged through the API; the large one is one run
// logged through the API and cloned with INSERT ... SELECT generate_series into the same tables
// (what the API writes, copied row for row), because logging 100 000 runs over HTTP would take
// most of the time budget and measures ingest, not search.
import { countRuns, listRunColumns, searchRuns, systemActor } from "@modelgate/core";
import { createDb } from "@modelgate/db";
import type { BenchContext, Phase, Sizes, Target } from "../lib/context.ts";
import { withPg } from "../lib/database.ts";
import { errorText } from "../lib/harness.ts";
import { createExperiment, createRun, post, type Endpoint } from "../lib/mlflow-http.ts";
import { logBatchBodies, runData, type RunShape } from "../lib/payloads.ts";
import { fmtInt, fmtMs, medianLatency, notMeasured, type Row } from "../lib/report.ts";

const SHAPE: RunShape = { params: 3, metricKeys: 5, steps: 1, tags: 1 };
const FILTER = "metrics.m0 > 0.5";
const ORDER = ["metrics.m0"];
const PAGE = 1000;

interface SearchPage {
  runs?: { info: { run_id: string }; data?: { metrics?: { key: string; value: number }[] } }[];
  next_page_token?: string;
}

interface SearchOutcome {
  runs: number;
  pages: number;
  m0: number[];
}

async function search(ep: Endpoint, experimentId: string, allPages: boolean): Promise<SearchOutcome> {
  let token: string | undefined;
  let runs = 0;
  let pages = 0;
  const m0: number[] = [];
  do {
    const page = await post<SearchPage>(ep, "runs/search", { experiment_ids: [experimentId], filter: FILTER, run_view_type: "ACTIVE_ONLY", max_results: PAGE, order_by: ORDER, ...(token ? { page_token: token } : {}) });
    pages++;
    for (const r of page.runs ?? []) {
      runs++;
      const v = r.data?.metrics?.find((m) => m.key === "m0")?.value;
      if (typeof v === "number") m0.push(v);
    }
    token = page.next_page_token || undefined;
  } while (allPages && token);
  return { runs, pages, m0 };
}

async function ceilingMs(ctx: BenchContext, experimentId: string): Promise<number> {
  return (await medianLatency(() => search(ctx.ceiling, experimentId, false), ctx.sizes.repeats)).ms;
}

/** Which runs match and in what order, straight from the tables. */
async function expected(ctx: BenchContext, experimentId: string): Promise<{ count: number; first: number[] }> {
  return withPg(ctx.databaseUrl, async (c) => {
    const where = `FROM latest_metric lm JOIN run r ON r.pk = lm.run_pk WHERE r.experiment_id = $1 AND r.lifecycle_stage = 'active' AND lm.key = 'm0' AND lm.value > 0.5`;
    const count = Number((await c.query<{ n: string }>(`SELECT count(*) AS n ${where}`, [Number(experimentId)])).rows[0]?.n ?? 0);
    const first = (await c.query<{ v: number }>(`SELECT lm.value AS v ${where} ORDER BY lm.value LIMIT 5`, [Number(experimentId)])).rows.map((r) => r.v);
    return { count, first };
  });
}

function checkOrder(o: SearchOutcome, want: { count: number; first: number[] }, wantRuns: number): string | null {
  if (o.runs !== wantRuns) return `returned ${o.runs} runs, expected ${wantRuns}`;
  if (o.m0.length !== o.runs) return `${o.runs - o.m0.length} runs came back without metric m0`;
  for (let i = 1; i < o.m0.length; i++) if (o.m0[i - 1]! > o.m0[i]!) return `not ordered by metrics.m0 at position ${i}`;
  if (want.first.some((v, i) => o.m0[i] !== v)) return `first values ${o.m0.slice(0, 3).join(", ")} differ from the database's ${want.first.slice(0, 3).join(", ")}`;
  return null;
}

async function seedSmall(ctx: BenchContext, experimentId: string): Promise<string | null> {
  const n = ctx.sizes.searchSmallRuns;
  const per = Math.ceil(n / ctx.pool.size);
  const specs = Array.from({ length: ctx.pool.size }, (_, c) => ({ experimentId, namePrefix: `s${c}`, count: Math.max(0, Math.min(per, n - c * per)), shape: SHAPE, baseTimestamp: Date.now() }));
  const r = await ctx.pool.seed(ctx.api(), specs);
  return r.error ?? null;
}

/** One run through the API, then copies of its rows; metric values drawn anew per copy. */
async function seedLarge(ctx: BenchContext, experimentId: string): Promise<number> {
  const api = ctx.api();
  const runId = await createRun(api, experimentId, "template", Date.now());
  const d = runData(SHAPE, Date.now());
  for (const body of logBatchBodies(runId, d.metrics, d.params, d.tags)) await post(api, "runs/log-batch", body);
  const copies = ctx.sizes.searchLargeRuns - 1;
  const t0 = performance.now();
  await withPg(ctx.databaseUrl, async (c) => {
    await c.query("BEGIN");
    const tpl = (await c.query<{ pk: string }>("SELECT pk FROM run WHERE id = $1", [runId])).rows[0]!.pk;
    await c.query(
      `INSERT INTO run (id, experiment_id, name, user_id, owner_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
       SELECT md5(t.id || ':' || g), t.experiment_id, 'clone-' || g, t.user_id, t.owner_id, t.status, t.start_time - g, t.end_time,
              replace(t.artifact_uri, t.id, md5(t.id || ':' || g)), t.lifecycle_stage
       FROM run t, generate_series(1, $2::int) g WHERE t.pk = $1`,
      [tpl, copies],
    );
    const clones = "SELECT pk, name FROM run WHERE experiment_id = $2 AND pk <> $1";
    await c.query(`INSERT INTO param (run_pk, key, value) SELECT r.pk, p.key, p.value FROM (${clones}) r CROSS JOIN param p WHERE p.run_pk = $1`, [tpl, Number(experimentId)]);
    await c.query(
      `INSERT INTO run_tag (run_pk, key, value) SELECT r.pk, t.key, CASE WHEN t.key = 'mlflow.runName' THEN r.name ELSE t.value END
       FROM (${clones}) r CROSS JOIN run_tag t WHERE t.run_pk = $1`,
      [tpl, Number(experimentId)],
    );
    await c.query(
      `INSERT INTO latest_metric (run_pk, key, value, timestamp, step) SELECT r.pk, lm.key, random(), lm.timestamp, lm.step
       FROM (${clones}) r CROSS JOIN latest_metric lm WHERE lm.run_pk = $1`,
      [tpl, Number(experimentId)],
    );
    await c.query(
      `INSERT INTO metric (run_pk, key, step, timestamp, value) SELECT lm.run_pk, lm.key, lm.step, lm.timestamp, lm.value
       FROM latest_metric lm JOIN run r ON r.pk = lm.run_pk WHERE r.experiment_id = $2 AND r.pk <> $1`,
      [tpl, Number(experimentId)],
    );
    await c.query("COMMIT");
    await c.query("ANALYZE");
  });
  return performance.now() - t0;
}

const targets = (s: Sizes): [Target, Target, Target] => [
  { target: `search: ${fmtInt(s.searchSmallRuns)} runs, all pages`, required: "<= 30 ms median" },
  { target: `search: ${fmtInt(s.searchLargeRuns)} runs, first page of ${PAGE}`, required: "<= 150 ms median" },
  { target: `portal: runs table of ${fmtInt(s.searchLargeRuns)} runs opens`, required: "<= 60 ms median" },
];

async function run(ctx: BenchContext): Promise<Row[]> {
  const [smallT, largeT, portalT] = targets(ctx.sizes);
  const api = ctx.api();
  const rows: Row[] = [];

  const small = await createExperiment(api, `bench-search-small-${ctx.stamp}`);
  const seedError = await seedSmall(ctx, small);
  if (seedError) {
    rows.push(notMeasured(smallT, seedError));
  } else {
    await withPg(ctx.databaseUrl, (c) => c.query("ANALYZE"));
    rows.push(await measure(ctx, small, smallT, 30, true, "runs logged through runs/create + log-batch"));
  }

  const large = await createExperiment(api, `bench-search-large-${ctx.stamp}`);
  try {
    const ms = await seedLarge(ctx, large);
    ctx.log(`cloned ${fmtInt(ctx.sizes.searchLargeRuns - 1)} runs with SQL in ${(ms / 1000).toFixed(1)} s`);
    rows.push(await measure(ctx, large, largeT, 150, false, "1 run logged through the API, cloned with INSERT ... SELECT generate_series"));
    rows.push(await portalTableRow(ctx, large, portalT));
  } catch (e) {
    rows.push(notMeasured(largeT, errorText(e)), notMeasured(portalT, errorText(e)));
  }
  return rows;
}

export const searchPhase: Phase = { targets, run };

/**
 * What the portal's runs table asks when it opens an experiment, through core as its tRPC routes
 * do (the portal runs in Next.js, which this bench does not start): the first page of 200 runs,
 * the count and the column list, together; then the first page sorted by a metric.
 */
async function portalTableRow(ctx: BenchContext, experimentId: string, t: Target): Promise<Row> {
  const db = createDb({ url: ctx.databaseUrl, max: 4 });
  try {
    const core = { db, actor: systemActor("bench") };
    const scope = { experiment_ids: [experimentId], run_view_type: "ACTIVE_ONLY" as const };
    let shown = 0;
    const open = await medianLatency(async () => {
      const [page] = await Promise.all([searchRuns(core, { ...scope, max_results: 200, order_by: ["attributes.start_time DESC"] }), countRuns(core, scope), listRunColumns(core, [experimentId])]);
      shown = page.runs?.length ?? 0;
    }, 10);
    const sorted = await medianLatency(() => searchRuns(core, { ...scope, max_results: 200, order_by: ["metrics.m0 DESC"] }), 10);
    const each = {
      page: await medianLatency(() => searchRuns(core, { ...scope, max_results: 200, order_by: ["attributes.start_time DESC"] }), 5),
      count: await medianLatency(() => countRuns(core, scope), 5),
      columns: await medianLatency(() => listRunColumns(core, [experimentId]), 5),
    };
    return {
      ...t,
      measured: `${fmtMs(open.ms)} open, ${fmtMs(sorted.ms)} sorted`,
      ceiling: "-",
      ratio: "-",
      pass: open.ms <= 60,
      note: `core's searchRuns (200 runs, ${shown} shown), countRuns and listRunColumns at once, as the table opens (alone: ${fmtMs(each.page.ms)}, ${fmtMs(each.count.ms)}, ${fmtMs(each.columns.ms)}); then searchRuns ordered by metrics.m0; medians of ${open.samples} and ${sorted.samples}, in the bench process`,
    };
  } finally {
    await db.$disconnect();
  }
}

async function measure(ctx: BenchContext, experimentId: string, t: Target, limitMs: number, allPages: boolean, origin: string): Promise<Row> {
  try {
    const want = await expected(ctx, experimentId);
    // the first search after the runs were written builds every run's wire JSON (then cached until the run changes)
    const t0 = performance.now();
    const first = await search(ctx.api(), experimentId, allPages);
    const coldMs = performance.now() - t0;
    const problem = checkOrder(first, want, allPages ? want.count : Math.min(PAGE, want.count));
    const { ms, samples } = await medianLatency(() => search(ctx.api(), experimentId, allPages), ctx.sizes.repeats);
    const ceiling = await ceilingMs(ctx, experimentId);
    return {
      ...t,
      measured: fmtMs(ms),
      ceiling: `${fmtMs(ceiling)} / request`,
      ratio: "-",
      pass: ms <= limitMs && !problem,
      note: `${origin}; filter "${FILTER}", order_by ${ORDER.join(", ")}, max_results ${PAGE}: ${first.runs} of ${want.count} matching runs in ${first.pages} page(s); median of ${samples} (the first search, which builds each run's cached wire JSON: ${fmtMs(coldMs)})${problem ? `; WRONG RESULT: ${problem}` : ""}`,
    };
  } catch (e) {
    return notMeasured(t, errorText(e));
  }
}
