import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { invalid } from "../errors.ts";
import { WireJson } from "../wire-json.ts";
import { bigintArray } from "./load-runs.ts";
import { decodeTokenText } from "./search/page-token.ts";
import { findReadableRuns, findRun, runNotFound } from "./run-access.ts";
import type { MetricSeriesView, MetricView, MetricWithRunIdView } from "./types.ts";

// Reading metric history: pages for the client (bounded memory on a million-point metric),
// MLflow 2.11's sampled bulk read for its UI, and a SQL-side downsampling for the portal charts.

/** The client asks for 25,000 per page and follows next_page_token; we never return more. */
export const MAX_HISTORY_PAGE = 25_000;
const MAX_RUNS_BULK = 100;
const MAX_RESULTS_PER_RUN = 2500;
const INT8_MAX = "9223372036854775807";

interface HistoryCursor {
  step: string;
  timestamp: string;
  seq: string;
}

const isIntString = (v: unknown): v is string => typeof v === "string" && /^-?\d{1,19}$/.test(v);

export function encodeHistoryToken(c: HistoryCursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64");
}

export function decodeHistoryToken(token: string): HistoryCursor {
  const text = decodeTokenText(token);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid("Invalid page token");
  }
  const c = parsed as Partial<HistoryCursor> | null;
  if (!c || !isIntString(c.step) || !isIntString(c.timestamp) || !isIntString(c.seq)) throw invalid("Invalid page token");
  return { step: c.step, timestamp: c.timestamp, seq: c.seq };
}

interface PointRow {
  step: bigint;
  timestamp: bigint;
  value: number;
  seq: bigint;
}

type HistoryInput = { run_id: string; metric_key: string; page_token?: string | undefined; max_results?: number | undefined };

/**
 * One page of a metric's history as MLflow's JSON, ordered by (step, timestamp) and keyset-paged
 * through (step, timestamp, seq). Postgres writes the page: 25,000 points reach Node as one string
 * instead of 25,000 rows, so a client paging through a million points allocates almost nothing
 * per point. Values go through to_json (NaN and ±Infinity as the strings "NaN", "Infinity",
 * "-Infinity", like toWireJson; numbers in Postgres's shortest exact form).
 */
export async function getMetricHistoryWire(ctx: Ctx, input: HistoryInput): Promise<WireJson> {
  const cursor = input.page_token ? decodeHistoryToken(input.page_token) : null;
  if (input.max_results !== undefined && input.max_results < 1) throw invalid(`max_results must be a positive integer, got ${input.max_results}`);
  const limit = Math.min(input.max_results ?? MAX_HISTORY_PAGE, MAX_HISTORY_PAGE);
  const run = await findRun(ctx, input.run_id, "READ");
  // no stored key can contain NUL (Postgres text cannot), and the driver would refuse it
  if (input.metric_key.includes("\u0000")) return new WireJson("{}");
  const after = cursor
    ? Prisma.sql`AND step >= ${cursor.step}::bigint AND (step, timestamp, seq) > (${cursor.step}::bigint, ${cursor.timestamp}::bigint, ${cursor.seq}::bigint)`
    : Prisma.empty;
  const head = `{"key":${JSON.stringify(input.metric_key)},"value":`;
  const [row] = await ctx.db.$queryRaw<{ body: string | null; more: boolean; step: string | null; timestamp: string | null; seq: string | null }[]>`
    WITH page AS (
      SELECT x.step, x.timestamp, x.value, x.seq, row_number() OVER (ORDER BY x.step, x.timestamp, x.seq) AS n, coalesce(l.members, '') AS link
      FROM (SELECT step, timestamp, value, seq FROM metric WHERE run_pk = ${run.pk} AND key = ${input.metric_key} ${after}
            ORDER BY step, timestamp, seq LIMIT ${limit + 1}) x
      -- MLflow 3: the model and dataset of a point first logged with them (metric_link), as JSON
      -- members; built only for linked points, so an unlinked page costs what it did before
      LEFT JOIN LATERAL (
        SELECT ',' || substr(j, 2, length(j) - 2) AS members
        FROM (SELECT json_strip_nulls(json_build_object('dataset_name', l.dataset_name, 'dataset_digest', l.dataset_digest, 'model_id', l.model_id))::text AS j
              FROM metric_link l WHERE l.run_pk = ${run.pk} AND l.key = ${input.metric_key} AND l.step = x.step AND l.seq = x.seq) y
        WHERE j <> '{}') l ON TRUE)
    SELECT string_agg(${head} || to_json(value)::text || ',"timestamp":' || timestamp || ',"step":' || step || link || '}', ',' ORDER BY n) FILTER (WHERE n <= ${limit}) AS body,
      count(*) > ${limit} AS more,
      max(step::text) FILTER (WHERE n = ${limit}) AS step, max(timestamp::text) FILTER (WHERE n = ${limit}) AS timestamp,
      max(seq::text) FILTER (WHERE n = ${limit}) AS seq
    FROM page`;
  if (!row?.body) return new WireJson("{}");
  const token = row.more && row.step !== null && row.timestamp !== null && row.seq !== null ? encodeHistoryToken({ step: row.step, timestamp: row.timestamp, seq: row.seq }) : null;
  return new WireJson(`{"metrics":[${row.body}]${token ? `,"next_page_token":${JSON.stringify(token)}` : ""}}`);
}

/** The same page as objects (the portal's tRPC route): the wire page read back, "NaN" and "±Infinity" as numbers. */
export async function getMetricHistory(ctx: Ctx, input: HistoryInput): Promise<{ metrics: MetricView[]; next_page_token?: string }> {
  const page = JSON.parse((await getMetricHistoryWire(ctx, input)).text, (k, v: unknown) => (k === "value" && typeof v === "string" ? Number(v) : v)) as {
    metrics?: MetricView[];
    next_page_token?: string;
  };
  const metrics = page.metrics ?? [];
  return page.next_page_token ? { metrics, next_page_token: page.next_page_token } : { metrics };
}

export interface BulkIntervalInput {
  run_ids: string[];
  metric_key: string;
  start_step?: number | undefined;
  end_step?: number | undefined;
  max_results?: number | undefined;
}

function validateBulkInterval(input: BulkIntervalInput) {
  if (!input.run_ids.length) throw invalid("GetMetricHistoryBulkInterval request must specify at least one run_id.");
  if (input.run_ids.length > MAX_RUNS_BULK) {
    throw invalid(`GetMetricHistoryBulkInterval request must specify at most ${MAX_RUNS_BULK} run_ids. Received ${input.run_ids.length} run_ids.`);
  }
  if (input.max_results !== undefined && (input.max_results < 1 || input.max_results > MAX_RESULTS_PER_RUN)) {
    throw invalid(`max_results must be between 1 and ${MAX_RESULTS_PER_RUN}.`);
  }
  const hasStart = input.start_step !== undefined;
  if (hasStart !== (input.end_step !== undefined)) throw invalid("If either start step or end step are specified, both must be specified.");
  if (hasStart && input.start_step! > input.end_step!) {
    throw invalid(`end_step must be greater than start_step. Found start_step=${input.start_step} and end_step=${input.end_step}.`);
  }
}

/**
 * MLflow 2.11's sampling: the distinct steps of all runs in [start, end] (default [0, last]),
 * thinned to at most max_results evenly spaced by rank, plus the last one and every run's first and
 * last step; then every point at those steps, per run in the order asked, at most 25,000 per run.
 */
export async function getMetricHistoryBulkInterval(ctx: Ctx, input: BulkIntervalInput, opts: { general?: boolean } = {}): Promise<MetricWithRunIdView[]> {
  validateBulkInterval(input);
  const runs = await findReadableRuns(ctx, input.run_ids);
  for (const id of input.run_ids) if (!runs.has(id)) throw runNotFound(id);
  if (input.metric_key.includes("\u0000")) return [];
  const pkList = [...new Set([...runs.values()].map((r) => r.pk))];
  const max = BigInt(input.max_results ?? MAX_RESULTS_PER_RUN);
  const key = input.metric_key;
  const picked = input.start_step === undefined && !opts.general ? await pickDenseSteps(ctx, pkList, key, max) : null;
  const rows = picked ? await pointsAt(ctx, pkList, key, picked) : await sampledPoints(ctx, pkList, input, max);
  const byPk = new Map<bigint, MetricWithRunIdView[]>();
  for (const r of rows) {
    const list = byPk.get(r.run_pk) ?? [];
    byPk.set(r.run_pk, list);
    if (list.length < MAX_HISTORY_PAGE) list.push({ key, value: r.value, timestamp: Number(r.timestamp), step: Number(r.step), run_id: "" });
  }
  const out: MetricWithRunIdView[] = [];
  for (const id of new Set(input.run_ids)) {
    const run = runs.get(id)!;
    for (const m of byPk.get(run.pk) ?? []) out.push({ ...m, run_id: id });
  }
  return out;
}

type SampledRow = PointRow & { run_pk: bigint };

/** The points of these runs at exactly these steps, by index probes per (run, step). */
function pointsAt(ctx: Ctx, pks: bigint[], key: string, steps: bigint[]) {
  if (!steps.length) return Promise.resolve([]);
  return ctx.db.$queryRaw<SampledRow[]>`
    SELECT r.pk AS run_pk, m.step, m.timestamp, m.value, m.seq
    FROM unnest(${bigintArray(pks)}) AS r(pk) CROSS JOIN unnest(${bigintArray(steps)}) AS p(step)
    JOIN LATERAL (SELECT step, timestamp, value, seq FROM metric WHERE run_pk = r.pk AND key = ${key} AND step = p.step OFFSET 0) m ON true
    ORDER BY r.pk, m.step, m.timestamp, m.seq`;
}

/**
 * The general case in one statement. Rank idx (of cnt distinct steps) is picked when
 * idx = floor(i * cnt / max) for some i < max: the smallest candidate is i = ceil(idx * max / cnt),
 * so test just that one. Points are then read by index probes per (run, picked step).
 */
function sampledPoints(ctx: Ctx, pkList: bigint[], input: BulkIntervalInput, maxResults: bigint) {
  const pks = bigintArray(pkList);
  const max = Prisma.sql`${String(maxResults)}::bigint`;
  const lo = Prisma.sql`${String(input.start_step ?? 0)}::bigint`;
  const hi = Prisma.sql`${input.start_step === undefined ? INT8_MAX : String(input.end_step)}::bigint`;
  const key = input.metric_key;
  return ctx.db.$queryRaw<SampledRow[]>`
    WITH s AS (SELECT step FROM metric WHERE run_pk = ANY(${pks}) AND key = ${key} AND step BETWEEN ${lo} AND ${hi} GROUP BY step),
    n AS (SELECT step, row_number() OVER (ORDER BY step) - 1 AS idx, count(*) OVER () AS cnt FROM s),
    picked AS (
      SELECT step FROM n
      WHERE cnt <= ${max} OR idx = cnt - 1
        OR ((idx * ${max} + cnt - 1) / cnt < ${max} AND ((idx * ${max} + cnt - 1) / cnt) * cnt / ${max} = idx)
      UNION
      SELECT e.step FROM unnest(${pks}) AS r(pk),
        LATERAL (SELECT min(step) AS a, max(step) AS b FROM metric WHERE run_pk = r.pk AND key = ${key}) mm,
        LATERAL (VALUES (mm.a), (mm.b)) AS e(step)
      WHERE e.step BETWEEN ${lo} AND ${hi})
    SELECT r.pk AS run_pk, m.step, m.timestamp, m.value, m.seq
    FROM unnest(${pks}) AS r(pk) CROSS JOIN picked p
    JOIN LATERAL (SELECT step, timestamp, value, seq FROM metric WHERE run_pk = r.pk AND key = ${key} AND step = p.step OFFSET 0) m ON true
    ORDER BY r.pk, m.step, m.timestamp, m.seq`;
}

/**
 * The common case, without reading the history: every run logged every step from its first to its
 * last (a training loop's per-step metric, as latest_metric.dense records at ingest), none below 0.
 * The distinct steps are then a union of integer ranges, and the picked steps follow by arithmetic.
 * Returns null when the shortcut does not apply (the general query answers).
 */
export async function pickDenseSteps(ctx: Ctx, pks: bigint[], key: string, max: bigint): Promise<bigint[] | null> {
  const rows = await ctx.db.$queryRaw<{ lo: bigint | null; hi: bigint | null; dense: boolean }[]>`
    SELECT l.min_step AS lo, l.max_step AS hi, l.dense FROM latest_metric l WHERE l.run_pk = ANY(${bigintArray(pks)}) AND l.key = ${key}`;
  const ranges: [bigint, bigint][] = [];
  for (const r of rows) {
    if (!r.dense || r.lo === null || r.hi === null || r.lo < 0n) return null;
    ranges.push([r.lo, r.hi]);
  }
  if (!ranges.length) return [];
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [a, b] of ranges) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1] + 1n) last[1] = b > last[1] ? b : last[1];
    else merged.push([a, b]);
  }
  const cnt = merged.reduce((n, [a, b]) => n + (b - a + 1n), 0n);
  // the step of rank idx, walking the merged ranges
  const stepAt = (idx: bigint): bigint => {
    let rest = idx;
    for (const [a, b] of merged) {
      if (rest <= b - a) return a + rest;
      rest -= b - a + 1n;
    }
    throw new Error("rank out of range");
  };
  const picked = new Set<bigint>();
  if (cnt <= max) {
    for (const [a, b] of merged) for (let st = a; st <= b; st++) picked.add(st);
  } else {
    for (let i = 0n; i < max; i++) picked.add(stepAt((i * cnt) / max));
    picked.add(stepAt(cnt - 1n));
  }
  for (const [a, b] of ranges) picked.add(a).add(b);
  return [...picked];
}

interface BucketRow {
  run_pk: bigint;
  key: string;
  lo_step: bigint;
  hi_step: bigint;
  lo_ts: bigint;
  hi_ts: bigint;
  /** null when the bucket holds only NaN */
  vmin: number | null;
  vmax: number | null;
}

/**
 * Downsampled series for charts, computed in SQL: each series' step range is cut into
 * max_points/2 buckets and each bucket keeps its lowest and highest value, so spikes survive
 * (min/max decimation: both are drawn at the bucket's middle step, a vertical stroke, so the line
 * never zigzags between buckets). Scalar aggregates only: a 1,000,000-point history is one index
 * range scan. NaN is kept only where a bucket has nothing else. Unreadable or unknown runs are
 * left out.
 */
/** What one chart request may ask for: a browser draws at most this much. */
export const SAMPLE_LIMITS = { runs: 100, keys: 50, minPoints: 10, maxPoints: 5000, defaultPoints: 1000 } as const;

function validateSampleInput(input: { run_ids: string[]; keys: string[]; max_points?: number | undefined }) {
  if (input.run_ids.length > SAMPLE_LIMITS.runs) throw invalid(`At most ${SAMPLE_LIMITS.runs} runs per chart request, got ${input.run_ids.length}`);
  if (input.keys.length > SAMPLE_LIMITS.keys) throw invalid(`At most ${SAMPLE_LIMITS.keys} metrics per chart request, got ${input.keys.length}`);
  const p = input.max_points;
  if (p !== undefined && (!Number.isInteger(p) || p < SAMPLE_LIMITS.minPoints || p > SAMPLE_LIMITS.maxPoints)) {
    throw invalid(`max_points must be an integer from ${SAMPLE_LIMITS.minPoints} to ${SAMPLE_LIMITS.maxPoints}, got ${p}`);
  }
}

export async function sampleMetricSeries(ctx: Ctx, input: { run_ids: string[]; keys: string[]; max_points?: number | undefined }): Promise<MetricSeriesView[]> {
  validateSampleInput(input);
  const keys = [...new Set(input.keys.filter((k) => !k.includes("\u0000")))];
  if (!input.run_ids.length || !keys.length) return [];
  const runs = await findReadableRuns(ctx, input.run_ids);
  if (!runs.size) return [];
  const idOf = new Map([...runs.values()].map((r) => [r.pk, r.id]));
  const buckets = Math.max(1, Math.floor((input.max_points ?? SAMPLE_LIMITS.defaultPoints) / 2));
  // bounds is MATERIALIZED: inlined, the planner may run its min/max once per point (quadratic)
  const rows = await ctx.db.$queryRaw<BucketRow[]>`
    WITH bounds AS MATERIALIZED (
      SELECT r.pk AS run_pk, k.key, mm.lo, mm.hi
      FROM unnest(${bigintArray([...idOf.keys()])}) AS r(pk) CROSS JOIN unnest(${keys}::text[]) AS k(key),
        LATERAL (SELECT min(step) AS lo, max(step) AS hi FROM metric WHERE run_pk = r.pk AND key = k.key) mm
      WHERE mm.lo IS NOT NULL)
    SELECT m.run_pk, m.key, min(m.step) AS lo_step, max(m.step) AS hi_step, min(m.timestamp) AS lo_ts, max(m.timestamp) AS hi_ts,
      min(m.value) FILTER (WHERE m.value <> 'NaN'::float8) AS vmin, max(m.value) FILTER (WHERE m.value <> 'NaN'::float8) AS vmax
    FROM metric m JOIN bounds b ON b.run_pk = m.run_pk AND b.key = m.key
    GROUP BY m.run_pk, m.key, floor((m.step - b.lo)::float8 * ${buckets} / (b.hi - b.lo + 1)::float8)::int`;
  const series = new Map<string, MetricSeriesView>();
  for (const r of rows) {
    const id = idOf.get(r.run_pk)!;
    const k = `${id}\u0000${r.key}`;
    const s = series.get(k) ?? { run_id: id, key: r.key, points: [] };
    series.set(k, s);
    const step = Math.round((Number(r.lo_step) + Number(r.hi_step)) / 2);
    const timestamp = Math.round((Number(r.lo_ts) + Number(r.hi_ts)) / 2);
    if (r.vmin === null || r.vmax === null) {
      s.points.push({ step, timestamp, value: NaN });
      continue;
    }
    s.points.push({ step, timestamp, value: Number(r.vmin) });
    if (!Object.is(Number(r.vmax), Number(r.vmin))) s.points.push({ step, timestamp, value: Number(r.vmax) });
  }
  const out: MetricSeriesView[] = [];
  for (const id of new Set(input.run_ids)) {
    for (const key of keys) {
      const s = series.get(`${id}\u0000${key}`);
      if (s) out.push({ ...s, points: s.points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp) });
    }
  }
  return out;
}
