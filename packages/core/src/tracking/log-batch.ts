import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { invalid } from "../errors.ts";
import { assertRunActive, findRun, type RunRef } from "./run-access.ts";
import { guardedRunWrites, runWrites, tagWrite, type RunWrite } from "./runs.ts";
import { byKey, validateTag } from "./validate.ts";
import { findLoggedModel } from "./logged-models/access.ts";
import type { MetricView, TagView } from "./types.ts";
import {
  MAX_ENTITIES_PER_BATCH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_TAGS_PER_BATCH,
  validateKey,
  validateLength,
  validateValue,
} from "./validate.ts";

// The hot path of every MLflow client: one statement that checks access and writes every table
// (metric history, latest metric, params, tags), so a batch either lands whole or not at all.

export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  /** Defaults to 0. */
  step?: number | undefined;
  /** MLflow 3: the logged model and the dataset the value was measured with. */
  model_id?: string | undefined;
  dataset_name?: string | undefined;
  dataset_digest?: string | undefined;
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

/** MLflow's column sizes for a metric's dataset. */
const MAX_DATASET_NAME_LENGTH = 500;
const MAX_DATASET_DIGEST_LENGTH = 36;

function validateMetricLinks(m: MetricInput) {
  if (m.dataset_name) {
    validateLength("Dataset name", m.dataset_name, MAX_DATASET_NAME_LENGTH);
    validateValue("Dataset name", m.dataset_name);
  }
  if (m.dataset_digest) {
    validateLength("Dataset digest", m.dataset_digest, MAX_DATASET_DIGEST_LENGTH);
    validateValue("Dataset digest", m.dataset_digest);
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
    validateMetricLinks(m);
  }
  validateParams(params);
  tags.forEach(validateTag);
}

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

/** A history point's model and dataset (MLflow 3), when it has them. */
const linkOf = (m: MetricView) => ({
  ...(m.model_id ? { m: m.model_id } : {}),
  ...(m.dataset_name ? { dn: m.dataset_name } : {}),
  ...(m.dataset_digest ? { dd: m.dataset_digest } : {}),
});
const isLinked = (m: MetricView) => Boolean(m.model_id || m.dataset_name || m.dataset_digest);

/** The logged models a batch names: key and experiment, keyed by model id. */
export type BatchModels = ReadonlyMap<string, { pk: bigint; experimentId: number }>;

/**
 * The run's metric history rows and its latest-value upsert, each over one JSON parameter: far
 * cheaper for the driver than 1000-element arrays. Values travel as text so NaN and ±Infinity
 * survive ('NaN', 'Infinity'). The latest row per key and the key's step range come from
 * summariseBatch (one row per key: ON CONFLICT cannot touch a row twice), so Postgres only sorts
 * what is stored. The latest row keeps the key's step range and whether it is dense (every step in
 * it logged): a batch whose own steps are dense and meet or overlap a dense range keeps it dense;
 * anything else makes it false for good (a later batch filling the gap is not tracked), so `dense`
 * is never true wrongly.
 *
 * MLflow 3 (points with a model or dataset): such points also get a metric_link row, keyed by the
 * history row's seq (taken in the statement, so the two rows match exactly). A point sent with a
 * model_id that is already in the run's history as it is (the client re-sends a run's metrics with
 * the model's id when it logs a model) is not stored twice: it only links the model. Each
 * model-linked point is one of the model's metrics (logged_model_metric).
 */
function metricWrite(metrics: MetricView[], run: Pick<RunRef, "pk" | "id"> | null, models: BatchModels): RunWrite {
  if (!metrics.length) return { ctes: [] };
  const plain = metrics.filter((m) => !isLinked(m));
  const linked = metrics.filter(isLinked);
  const latest = JSON.stringify(
    summariseBatch(metrics).map(({ latest: m, minStep, maxStep, dense }) => ({ k: m.key, s: m.step, t: m.timestamp, v: String(m.value), lo: minStep, hi: maxStep, d: dense, ...linkOf(m) })),
  );
  const ctes: Prisma.Sql[] = [];
  if (plain.length) {
    const rows = JSON.stringify(plain.map((m) => ({ k: m.key, s: m.step, t: m.timestamp, v: String(m.value) })));
    ctes.push(Prisma.sql`ins_metric AS (INSERT INTO metric (run_pk, key, step, timestamp, value)
        SELECT bump.pk, x.k, x.s, x.t, x.v::float8 FROM bump, json_to_recordset(${rows}::json) AS x(k text, s bigint, t bigint, v text))`);
  }
  if (linked.length) {
    if (!run) throw new Error("model-linked metrics are written for a run already found");
    const rows = JSON.stringify(linked.map((m) => ({ k: m.key, s: m.step, t: m.timestamp, v: String(m.value), ...linkOf(m) })));
    ctes.push(
      Prisma.sql`new_linked AS MATERIALIZED (
        SELECT x.*, nextval(pg_get_serial_sequence('metric', 'seq')) AS q
        FROM bump, json_to_recordset(${rows}::json) AS x(k text, s bigint, t bigint, v text, m text, dn text, dd text)
        -- the run's key as a value, not bump.pk: the probe must walk the (run, key, step) index, never
        -- scan the history (a correlation through the CTE makes Postgres hash the whole table)
        WHERE x.m IS NULL OR NOT EXISTS (
          SELECT 1 FROM metric h WHERE h.run_pk = ${run.pk}::bigint AND h.key = x.k AND h.step = x.s AND h.timestamp = x.t AND h.value = x.v::float8))`,
      Prisma.sql`ins_linked AS (INSERT INTO metric (run_pk, key, step, timestamp, value, seq) SELECT bump.pk, n.k, n.s, n.t, n.v::float8, n.q FROM bump, new_linked n)`,
      Prisma.sql`ins_link AS (INSERT INTO metric_link (run_pk, key, step, seq, model_id, dataset_name, dataset_digest) SELECT bump.pk, n.k, n.s, n.q, n.m, n.dn, n.dd FROM bump, new_linked n)`,
    );
    const modelRows = linked
      .filter((m) => m.model_id)
      .map((m) => {
        const model = models.get(m.model_id!)!;
        return { p: String(model.pk), e: model.experimentId, k: m.key, s: m.step, t: m.timestamp, v: String(m.value), dn: m.dataset_name ?? "", dd: m.dataset_digest ?? "" };
      });
    if (modelRows.length) {
      // a point the model already has (same key, time, step, run and dataset) is not stored again
      // (MLflow's key for these rows), so the latest value per (model, key) that logged-models/search
      // orders by comes from the rows this statement stored: latest timestamp, then step, then value
      ctes.push(
        Prisma.sql`ins_model_metric AS (
        INSERT INTO logged_model_metric (model_pk, experiment_id, key, timestamp, step, value, run_id, dataset_name, dataset_digest)
        SELECT x.p::bigint, x.e, x.k, x.t, x.s, x.v::float8, ${run.id}, x.dn, x.dd FROM bump, json_to_recordset(${JSON.stringify(modelRows)}::json) AS x(p text, e int, k text, s bigint, t bigint, v text, dn text, dd text)
        ON CONFLICT DO NOTHING RETURNING model_pk, experiment_id, key, timestamp, step, value)`,
        Prisma.sql`ins_model_latest AS (
        INSERT INTO logged_model_latest_metric AS l (model_pk, key, experiment_id, value, timestamp, step)
        SELECT DISTINCT ON (r.model_pk, r.key) r.model_pk, r.key, r.experiment_id, r.value, r.timestamp, r.step FROM ins_model_metric r
        ORDER BY r.model_pk, r.key, r.timestamp DESC, r.step DESC, r.value DESC
        ON CONFLICT (model_pk, key) DO UPDATE SET (value, timestamp, step) = (
          SELECT y.v, y.t, y.s FROM (VALUES (excluded.value, excluded.timestamp, excluded.step), (l.value, l.timestamp, l.step)) y(v, t, s)
          ORDER BY y.t DESC, y.s DESC, y.v DESC LIMIT 1))`,
      );
    }
  }
  // On a tie in (step, timestamp, value) the stored row stays: a re-sent point never takes over its model link.
  ctes.push(Prisma.sql`ins_latest AS (
        INSERT INTO latest_metric AS l (run_pk, key, step, timestamp, value, min_step, max_step, dense, model_id, dataset_name, dataset_digest)
        SELECT bump.pk, x.k, x.s, x.t, x.v::float8, x.lo, x.hi, x.d, x.m, x.dn, x.dd
        FROM bump, json_to_recordset(${latest}::json) AS x(k text, s bigint, t bigint, v text, lo bigint, hi bigint, d boolean, m text, dn text, dd text)
        ON CONFLICT (run_pk, key) DO UPDATE SET
          (step, timestamp, value, model_id, dataset_name, dataset_digest) = (
            SELECT x.s, x.t, x.v, x.m, x.dn, x.dd FROM (VALUES
              (excluded.step, excluded.timestamp, excluded.value, excluded.model_id, excluded.dataset_name, excluded.dataset_digest, 1),
              (l.step, l.timestamp, l.value, l.model_id, l.dataset_name, l.dataset_digest, 0)) x(s, t, v, m, dn, dd, o)
            ORDER BY x.s DESC, x.t DESC, x.v DESC, x.o ASC LIMIT 1),
          min_step = LEAST(l.min_step, excluded.min_step),
          max_step = GREATEST(l.max_step, excluded.max_step),
          dense = coalesce(l.dense AND excluded.dense AND excluded.min_step <= l.max_step + 1 AND excluded.max_step >= l.min_step - 1, false))`);
  return { ctes };
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
async function writeBatch(ctx: Ctx, run: RunRef, metrics: MetricView[], params: TagView[], tags: TagView[], models: BatchModels): Promise<void> {
  const writes = [metricWrite(metrics, run, models), tagWrite(tags), paramWrite(params)];
  try {
    await runWrites(ctx.db, run, ...writes);
  } catch (e) {
    if (!isParamConflict(e)) throw e;
    throw (await paramConflict(ctx, run, params)) ?? e;
  }
}

const normalise = (m: MetricInput): MetricView => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp,
  step: m.step ?? 0,
  ...(m.model_id ? { model_id: m.model_id } : {}),
  ...(m.dataset_name ? { dataset_name: m.dataset_name } : {}),
  ...(m.dataset_digest ? { dataset_digest: m.dataset_digest } : {}),
});

const NO_MODELS: BatchModels = new Map();

/** The models a batch's metrics name: each must be live, and linking metrics to it changes it (EDIT on its experiment). */
async function batchModels(ctx: Ctx, metrics: readonly MetricView[]): Promise<BatchModels> {
  const ids = [...new Set(metrics.flatMap((m) => (m.model_id ? [m.model_id] : [])))];
  const out = new Map<string, { pk: bigint; experimentId: number }>();
  for (const id of ids) {
    const m = await findLoggedModel(ctx, id, "EDIT");
    out.set(id, { pk: m.pk, experimentId: m.experimentId });
  }
  return out;
}

export async function logBatch(ctx: Ctx, input: LogBatchInput): Promise<void> {
  validateBatch(input);
  const metrics = (input.metrics ?? []).map(normalise);
  const params = input.params ?? [];
  const tags = input.tags ?? [];
  if (metrics.some(isLinked)) {
    // MLflow 3's model-linked points: their models are checked first, and the statement probes the
    // run's history by its key, so the run is found before
    const [run, models] = await Promise.all([findRun(ctx, input.run_id, "EDIT"), batchModels(ctx, metrics)]);
    assertRunActive(run);
    return writeBatch(ctx, run, metrics, params, tags, models);
  }
  // the training loop's calls: access check and write in one statement, one round trip
  try {
    await guardedRunWrites(ctx, input.run_id, "EDIT", [metricWrite(metrics, null, NO_MODELS), tagWrite(tags), paramWrite(params)]);
  } catch (e) {
    if (!isParamConflict(e)) throw e;
    throw (await paramConflict(ctx, await findRun(ctx, input.run_id, "EDIT"), params)) ?? e;
  }
}

export async function logMetric(ctx: Ctx, input: MetricInput & { run_id: string }): Promise<void> {
  await logBatch(ctx, { run_id: input.run_id, metrics: [input] });
}

export async function logParam(ctx: Ctx, input: { run_id: string; key: string; value: string }): Promise<void> {
  await logBatch(ctx, { run_id: input.run_id, params: [{ key: input.key, value: input.value }] });
}
