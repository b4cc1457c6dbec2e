import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { invalid } from "../errors.ts";
import { assertRunActive, findRun, type RunRef } from "./run-access.ts";
import { runWrites, tagWrite, type RunWrite } from "./runs.ts";
import { validateTag } from "./validate.ts";
import type { MetricView, TagView } from "./types.ts";
import {
  MAX_ENTITIES_PER_BATCH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_TAGS_PER_BATCH,
  validateKey,
  validateValue,
} from "./validate.ts";

// The hot path of every MLflow client: one query to find the run and check access, then one
// transaction with one statement per table (metric history, latest metric, params, tags), so a
// batch either lands whole or not at all.

export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  /** Defaults to 0. */
  step?: number | undefined;
}

export interface LogBatchInput {
  run_id: string;
  metrics?: MetricInput[] | undefined;
  params?: TagView[] | undefined;
  tags?: TagView[] | undefined;
}

function checkCount(n: number, limit: number, what: string) {
  if (n > limit) {
    throw invalid(`A batch logging request can contain at most ${limit} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`);
  }
}

function validateMetricValues(m: MetricInput) {
  if (typeof m.value !== "number") {
    throw invalid(`Got invalid value ${String(m.value)} for metric '${m.key}' (timestamp=${m.timestamp}). Please specify value as a valid double (64-bit floating point)`);
  }
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
    throw invalid(`Got invalid timestamp ${String(m.timestamp)} for metric '${m.key}' (value=${m.value}). Timestamp must be a nonnegative long (64-bit integer) `);
  }
  if (m.step !== undefined && !Number.isSafeInteger(m.step)) {
    throw invalid(`Got invalid step ${String(m.step)} for metric '${m.key}' (value=${m.value}). Step must be a valid long (64-bit integer).`);
  }
}

function validateParams(params: TagView[]) {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const p of params) {
    validateKey("parameter", p.key);
    validateValue("Param value", p.value);
    if (seen.has(p.key)) dupes.add(p.key);
    seen.add(p.key);
  }
  if (dupes.size) {
    throw invalid(`Duplicate parameter keys have been submitted: [${[...dupes].map((k) => `'${k}'`).join(", ")}]. Please ensure the request contains only one param value per param key.`);
  }
}

export function validateBatch(input: LogBatchInput) {
  const metrics = input.metrics ?? [];
  const params = input.params ?? [];
  const tags = input.tags ?? [];
  checkCount(metrics.length, MAX_METRICS_PER_BATCH, "metrics");
  checkCount(params.length, MAX_PARAMS_TAGS_PER_BATCH, "params");
  checkCount(tags.length, MAX_PARAMS_TAGS_PER_BATCH, "tags");
  checkCount(metrics.length + params.length + tags.length, MAX_ENTITIES_PER_BATCH, "metrics, params, and tags in total");
  const keys = new Set<string>();
  for (const m of metrics) {
    if (!keys.has(m.key)) validateKey("metric", m.key);
    keys.add(m.key);
    validateMetricValues(m);
  }
  validateParams(params);
  tags.forEach(validateTag);
}

const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Postgres's float8 order: NaN above every number (and equal to NaN). */
const valueAbove = (a: number, b: number) => (Number.isNaN(a) ? !Number.isNaN(b) : !Number.isNaN(b) && a > b);

/** Whether `a` is greater than `b` in the latest-value order: (step, timestamp, value). */
const laterThan = (a: MetricView, b: MetricView) =>
  a.step !== b.step ? a.step > b.step : a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : valueAbove(a.value, b.value);

export interface KeySummary {
  latest: MetricView;
  minStep: number;
  maxStep: number;
  /** Every step from minStep to maxStep is in the batch. */
  dense: boolean;
}

/** Per key of one batch: its greatest (step, timestamp, value) and its step range, in key order. */
export function summariseBatch(metrics: readonly MetricView[]): KeySummary[] {
  const keys = new Map<string, { latest: MetricView; minStep: number; maxStep: number; steps: Set<number> }>();
  for (const m of metrics) {
    const k = keys.get(m.key);
    if (!k) {
      keys.set(m.key, { latest: m, minStep: m.step, maxStep: m.step, steps: new Set([m.step]) });
      continue;
    }
    if (laterThan(m, k.latest)) k.latest = m;
    if (m.step < k.minStep) k.minStep = m.step;
    if (m.step > k.maxStep) k.maxStep = m.step;
    k.steps.add(m.step);
  }
  return [...keys.values()]
    .map(({ latest, minStep, maxStep, steps }) => ({ latest, minStep, maxStep, dense: steps.size === maxStep - minStep + 1 }))
    .sort((a, b) => byKey(a.latest, b.latest));
}

/**
 * The run's metric history rows and its latest-value upsert, each over one JSON parameter: far
 * cheaper for the driver than 1000-element arrays. Values travel as text so NaN and ±Infinity
 * survive ('NaN', 'Infinity'). The latest row per key and the key's step range come from
 * summariseBatch (one row per key: ON CONFLICT cannot touch a row twice), so Postgres only sorts
 * what is stored. The latest row keeps the key's step range and whether it is dense (every step in
 * it logged): a batch whose own steps are dense and meet or overlap a dense range keeps it dense;
 * anything else makes it false for good (a later batch filling the gap is not tracked), so `dense`
 * is never true wrongly.
 */
function metricWrite(metrics: MetricView[]): RunWrite {
  if (!metrics.length) return { ctes: [] };
  const rows = JSON.stringify(metrics.map((m) => ({ k: m.key, s: m.step, t: m.timestamp, v: String(m.value) })));
  const latest = JSON.stringify(
    summariseBatch(metrics).map(({ latest: m, minStep, maxStep, dense }) => ({ k: m.key, s: m.step, t: m.timestamp, v: String(m.value), lo: minStep, hi: maxStep, d: dense })),
  );
  return {
    ctes: [
      Prisma.sql`ins_metric AS (INSERT INTO metric (run_pk, key, step, timestamp, value)
        SELECT bump.pk, x.k, x.s, x.t, x.v::float8 FROM bump, json_to_recordset(${rows}::json) AS x(k text, s bigint, t bigint, v text))`,
      Prisma.sql`ins_latest AS (
        INSERT INTO latest_metric AS l (run_pk, key, step, timestamp, value, min_step, max_step, dense)
        SELECT bump.pk, x.k, x.s, x.t, x.v::float8, x.lo, x.hi, x.d
        FROM bump, json_to_recordset(${latest}::json) AS x(k text, s bigint, t bigint, v text, lo bigint, hi bigint, d boolean)
        ON CONFLICT (run_pk, key) DO UPDATE SET
          (step, timestamp, value) = (SELECT x.* FROM (VALUES (excluded.step, excluded.timestamp, excluded.value), (l.step, l.timestamp, l.value)) x ORDER BY 1 DESC, 2 DESC, 3 DESC LIMIT 1),
          min_step = LEAST(l.min_step, excluded.min_step),
          max_step = GREATEST(l.max_step, excluded.max_step),
          dense = coalesce(l.dense AND excluded.dense AND excluded.min_step <= l.max_step + 1 AND excluded.max_step >= l.min_step - 1, false))`,
    ],
  };
}

/**
 * Params are immutable: the same value again is fine, a different one refuses the whole batch.
 * ON CONFLICT DO UPDATE (a no-op assignment) returns the stored value even when a concurrent
 * transaction committed it after this statement began, and modelgate_param_conflict() raises on
 * a different one, so the statement (metrics and tags included) writes nothing.
 */
function paramWrite(params: TagView[]): RunWrite {
  if (!params.length) return { ctes: [] };
  const sorted = [...params].sort(byKey);
  return {
    ctes: [
      Prisma.sql`given_params AS (SELECT k, v FROM unnest(${sorted.map((p) => p.key)}::text[], ${sorted.map((p) => p.value)}::text[]) AS x(k, v))`,
      Prisma.sql`ins_params AS (
        INSERT INTO param AS p (run_pk, key, value) SELECT bump.pk, k, v FROM bump, given_params
        ON CONFLICT (run_pk, key) DO UPDATE SET value = p.value RETURNING p.key, p.value)`,
      Prisma.sql`param_check AS (SELECT modelgate_param_conflict(i.key) FROM ins_params i JOIN given_params g ON g.k = i.key WHERE i.value <> g.v)`,
    ],
    checks: ["param_check"],
  };
}

/** The MLflow message for a refused param, from the value now stored. */
async function paramConflict(ctx: Ctx, run: RunRef, params: TagView[]): Promise<Error | null> {
  const stored = await ctx.db.$queryRaw<TagView[]>`SELECT key, value FROM param WHERE run_pk = ${run.pk} AND key = ANY(${params.map((p) => p.key)}::text[])`;
  const old = new Map(stored.map((r) => [r.key, r.value]));
  const p = params.find((x) => old.has(x.key) && old.get(x.key) !== x.value);
  if (!p) return null;
  return invalid(
    `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old.get(p.key)}' for run ID='${run.id}'. Attempted logging new value '${p.value}'.`,
  );
}

const isParamConflict = (e: unknown) => e instanceof Error && e.message.includes("modelgate_param_conflict");

/** The whole batch is one statement: it lands whole or not at all, with no transaction round trips. */
async function writeBatch(ctx: Ctx, run: RunRef, metrics: MetricView[], params: TagView[], tags: TagView[]) {
  const writes = [metricWrite(metrics), tagWrite(tags), paramWrite(params)];
  try {
    await runWrites(ctx.db, run, ...writes);
  } catch (e) {
    if (!isParamConflict(e)) throw e;
    throw (await paramConflict(ctx, run, params)) ?? e;
  }
}

const normalise = (m: MetricInput): MetricView => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0 });

export async function logBatch(ctx: Ctx, input: LogBatchInput): Promise<void> {
  validateBatch(input);
  const run = await findRun(ctx, input.run_id, "EDIT");
  assertRunActive(run);
  await writeBatch(ctx, run, (input.metrics ?? []).map(normalise), input.params ?? [], input.tags ?? []);
}

export async function logMetric(ctx: Ctx, input: MetricInput & { run_id: string }): Promise<void> {
  await logBatch(ctx, { run_id: input.run_id, metrics: [input] });
}

export async function logParam(ctx: Ctx, input: { run_id: string; key: string; value: string }): Promise<void> {
  await logBatch(ctx, { run_id: input.run_id, params: [{ key: input.key, value: input.value }] });
}
