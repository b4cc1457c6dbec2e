import { Prisma } from "@modelgate/db";
import type { ViewType } from "../types.ts";
import type { RunOrderBy } from "./order-by.ts";
import type { NumericComparator, RunFilterClause, StringComparator } from "./run-filter.ts";

// SQL for runs/search over alias `r` (run). Filters on metrics read latest_metric (the latest value
// per key); params, tags and datasets are EXISTS subqueries. Every value is a bind parameter; the
// only raw fragments are operators and column names chosen from fixed tables below.
//
// Ordering follows MLflow: each order key sorts runs that lack the key last in both directions and
// NaN metrics just before them; then start_time DESC (unless already ordered by it), then run id.

export interface RunQuery {
  /** Experiment ids the caller may read (already filtered), or, with `readable`, as requested. */
  experimentIds: readonly number[];
  /** The caller's read check on experiment `e`, made by the query itself (experimentIds not yet checked). */
  readable?: Prisma.Sql | undefined;
  clauses: readonly RunFilterClause[];
  viewType: ViewType;
  orderBy: readonly RunOrderBy[];
  /**
   * Few candidate runs (see PROBE_LIMIT): drive the query from the runs and probe each one's
   * metrics, params and tags by primary key, instead of letting Postgres scan every run's rows for
   * a key across all experiments (what it picks for a small experiment in a large database).
   */
  probe?: boolean;
}

/** Up to this many candidate runs, `probe` plans are used (a few thousand primary-key lookups). */
export const PROBE_LIMIT = 5000;

/**
 * OFFSET 0 keeps Postgres from flattening a subquery into a join, so it stays a per-run lookup by
 * (run_pk, key) rather than a hash join over every row with that key.
 */
const fence = (q: RunQuery) => (q.probe ? Prisma.sql` OFFSET 0` : Prisma.empty);

const SQL_OP: Record<NumericComparator | StringComparator, string> = {
  ">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "=", "!=": "<>", LIKE: "LIKE", ILIKE: "ILIKE",
};
const op = (c: NumericComparator | StringComparator) => Prisma.raw(SQL_OP[c]);

/**
 * A numeric literal bound as text and cast. Integer columns compare exactly (never through a float);
 * a double goes through JS's parse, as Python's float() would: 1e400 is Infinity, not an SQL error.
 */
function numberParam(literal: string, integerColumn: boolean): Prisma.Sql {
  if (!integerColumn) return Prisma.sql`${String(Number(literal))}::float8`;
  return /^-?\d{1,18}$/.test(literal) ? Prisma.sql`${literal}::bigint` : Prisma.sql`${literal}::numeric`;
}

const textArray = (xs: readonly string[]) => Prisma.sql`${[...xs]}::text[]`;

/** Postgres orders NaN above every number and says NaN > x; MLflow (IEEE) says no. */
function metricCondition(alias: string, c: Extract<RunFilterClause, { type: "metric" }>): Prisma.Sql {
  const v = Prisma.raw(`${alias}.value`);
  const cmp = Prisma.sql`${v} ${op(c.comparator)} ${numberParam(c.literal, false)}`;
  return c.comparator === ">" || c.comparator === ">=" ? Prisma.sql`${cmp} AND ${v} <> 'NaN'::float8` : cmp;
}

function keyValueExists(q: RunQuery, table: "param" | "run_tag", key: string, comparator: StringComparator, value: string): Prisma.Sql {
  return Prisma.sql`EXISTS (SELECT 1 FROM ${Prisma.raw(table)} kv WHERE kv.run_pk = r.pk AND kv.key = ${key} AND kv.value ${op(comparator)} ${value}${fence(q)})`;
}

const STRING_COLUMN = {
  run_id: Prisma.raw("r.id"),
  status: Prisma.raw("r.status::text"),
  user_id: Prisma.raw("r.user_id"),
  artifact_uri: Prisma.raw("r.artifact_uri"),
} as const;

function listCondition(column: Prisma.Sql, comparator: "IN" | "NOT IN", values: readonly string[]): Prisma.Sql {
  // NOT IN over a null column is null (no match), as in MLflow's SQL.
  return comparator === "IN" ? Prisma.sql`${column} = ANY(${textArray(values)})` : Prisma.sql`NOT (${column} = ANY(${textArray(values)}))`;
}

function attributeCondition(q: RunQuery, c: Extract<RunFilterClause, { type: "attribute" }>): Prisma.Sql {
  if (c.key === "start_time" || c.key === "end_time") {
    const n = c as Extract<RunFilterClause, { type: "attribute"; key: "start_time" | "end_time" }>;
    return Prisma.sql`${Prisma.raw(`r.${n.key}`)} ${op(n.comparator)} ${numberParam(n.literal, true)}`;
  }
  if (c.comparator === "IN" || c.comparator === "NOT IN") return listCondition(STRING_COLUMN.run_id, c.comparator, c.value as string[]);
  const s = c as Extract<RunFilterClause, { type: "attribute"; key: "run_id" | "run_name" | "status" | "user_id" | "artifact_uri"; comparator: StringComparator }>;
  // MLflow searches run names through the mlflow.runName tag.
  if (s.key === "run_name") return keyValueExists(q, "run_tag", "mlflow.runName", s.comparator, s.value);
  return Prisma.sql`${STRING_COLUMN[s.key]} ${op(s.comparator)} ${s.value}`;
}

function datasetCondition(c: Extract<RunFilterClause, { type: "dataset" }>): Prisma.Sql {
  const column = Prisma.raw(c.key === "context" ? "i.context" : `d.${c.key}`);
  const cond = c.comparator === "IN" || c.comparator === "NOT IN" ? listCondition(column, c.comparator, c.value as string[]) : Prisma.sql`${column} ${op(c.comparator)} ${c.value as string}`;
  return Prisma.sql`EXISTS (SELECT 1 FROM run_input i JOIN dataset d ON d.pk = i.dataset_pk WHERE i.run_pk = r.pk AND ${cond})`;
}

function clauseCondition(q: RunQuery, c: RunFilterClause): Prisma.Sql {
  switch (c.type) {
    case "metric":
      return Prisma.sql`EXISTS (SELECT 1 FROM latest_metric m WHERE m.run_pk = r.pk AND m.key = ${c.key} AND ${metricCondition("m", c)}${fence(q)})`;
    case "parameter":
      return keyValueExists(q, "param", c.key, c.comparator, c.value);
    case "tag":
      return keyValueExists(q, "run_tag", c.key, c.comparator, c.value);
    case "attribute":
      return attributeCondition(q, c);
    case "dataset":
      return datasetCondition(c);
  }
}

/** The run_view_type as conditions on `r` (none for ALL). */
export function lifecycleConditions(viewType: ViewType): Prisma.Sql[] {
  if (viewType === "ACTIVE_ONLY") return [Prisma.sql`r.lifecycle_stage = 'active'`];
  if (viewType === "DELETED_ONLY") return [Prisma.sql`r.lifecycle_stage = 'deleted'`];
  return [];
}

function scopeConditions(q: RunQuery): Prisma.Sql[] {
  const ids = q.experimentIds;
  const idArray = Prisma.sql`${ids.map(String)}::text[]::int[]`;
  // One id as a plain equality lets Postgres walk the (experiment_id, lifecycle_stage, start_time)
  // index in order; the read check is then a one-time filter, evaluated once.
  if (ids.length === 1) {
    const check = q.readable ? [Prisma.sql`EXISTS (SELECT 1 FROM experiment e WHERE e.id = ${ids[0]}::int AND ${q.readable})`] : [];
    return [Prisma.sql`r.experiment_id = ${ids[0]}::int`, ...check, ...lifecycleConditions(q.viewType)];
  }
  const scope = q.readable
    ? Prisma.sql`r.experiment_id = ANY(ARRAY(SELECT e.id FROM experiment e WHERE e.id = ANY(${idArray}) AND ${q.readable}))`
    : Prisma.sql`r.experiment_id = ANY(${idArray})`;
  return [scope, ...lifecycleConditions(q.viewType)];
}

interface Plan {
  joins: Prisma.Sql[];
  where: Prisma.Sql[];
  order: Prisma.Sql[];
}

/** Comparators that only hold for a present, non-NaN value (see metricCondition). */
const EXCLUDES_MISSING_AND_NAN: ReadonlySet<string> = new Set([">", ">=", "<", "<=", "="]);

/**
 * Orders by a metric. When the filter already requires that metric to be a number, the join is an
 * inner join carrying that filter and no missing/NaN ranks are needed: Postgres can then walk the
 * latest_metric (key, value, run_pk) index in order and stop at the page (or, in probe mode, look
 * each run's value up once).
 */
function metricOrder(q: RunQuery, i: number, o: RunOrderBy, clauses: RunFilterClause[], plan: Plan) {
  const a = Prisma.raw(`o${i}`);
  const dir = Prisma.raw(o.ascending ? "ASC" : "DESC");
  const at = clauses.findIndex((c) => c.type === "metric" && c.key === o.key && EXCLUDES_MISSING_AND_NAN.has(c.comparator));
  const guard = at >= 0 ? (clauses.splice(at, 1)[0] as Extract<RunFilterClause, { type: "metric" }>) : undefined;
  const join = Prisma.raw(guard ? "JOIN" : "LEFT JOIN");
  if (q.probe) {
    const cond = guard ? Prisma.sql` AND ${metricCondition("x", guard)}` : Prisma.empty;
    plan.joins.push(Prisma.sql`${join} LATERAL (SELECT x.value FROM latest_metric x WHERE x.run_pk = r.pk AND x.key = ${o.key}${cond} OFFSET 0) ${a} ON TRUE`);
  } else {
    const cond = guard ? Prisma.sql` AND ${metricCondition(`o${i}`, guard)}` : Prisma.empty;
    plan.joins.push(Prisma.sql`${join} latest_metric ${a} ON ${a}.run_pk = r.pk AND ${a}.key = ${o.key}${cond}`);
  }
  if (!guard) plan.order.push(Prisma.sql`(CASE WHEN ${a}.value IS NULL THEN 2 WHEN ${a}.value = 'NaN'::float8 THEN 1 ELSE 0 END)`);
  plan.order.push(Prisma.sql`${a}.value ${dir}`);
}

const ATTRIBUTE_ORDER: Record<string, string> = {
  start_time: "r.start_time",
  end_time: "r.end_time",
  run_id: "r.id",
  // Byte order, as MLflow (Python) compares strings, whatever the database's collation.
  run_name: 'r.name COLLATE "C"',
  status: 'r.status::text COLLATE "C"',
  user_id: 'r.user_id COLLATE "C"',
  artifact_uri: 'r.artifact_uri COLLATE "C"',
};

function orderTerm(q: RunQuery, i: number, o: RunOrderBy, clauses: RunFilterClause[], plan: Plan) {
  const dir = Prisma.raw(o.ascending ? "ASC" : "DESC");
  if (o.type === "metric") return metricOrder(q, i, o, clauses, plan);
  if (o.type === "attribute") {
    const col = Prisma.raw(ATTRIBUTE_ORDER[o.key]!);
    if (o.key === "end_time") plan.order.push(Prisma.sql`(r.end_time IS NULL)`);
    plan.order.push(Prisma.sql`${col} ${dir}`);
    return;
  }
  const a = Prisma.raw(`o${i}`);
  const table = Prisma.raw(o.type === "parameter" ? "param" : "run_tag");
  plan.joins.push(
    q.probe
      ? Prisma.sql`LEFT JOIN LATERAL (SELECT x.value FROM ${table} x WHERE x.run_pk = r.pk AND x.key = ${o.key} OFFSET 0) ${a} ON TRUE`
      : Prisma.sql`LEFT JOIN ${table} ${a} ON ${a}.run_pk = r.pk AND ${a}.key = ${o.key}`,
  );
  plan.order.push(Prisma.sql`(${a}.value IS NULL)`, Prisma.sql`${a}.value COLLATE "C" ${dir}`);
}

function plan(q: RunQuery, withOrder: boolean): Plan {
  const clauses = [...q.clauses];
  const p: Plan = { joins: [], where: scopeConditions(q), order: [] };
  if (withOrder) {
    q.orderBy.forEach((o, i) => orderTerm(q, i, o, clauses, p));
    if (!q.orderBy.some((o) => o.type === "attribute" && o.key === "start_time")) p.order.push(Prisma.sql`r.start_time DESC`);
    p.order.push(Prisma.sql`r.id ASC`);
  }
  p.where.push(...clauses.map((c) => clauseCondition(q, c)));
  return p;
}

const joinAll = (xs: Prisma.Sql[], sep: string) => Prisma.join(xs, sep);

/**
 * The run keys of one page, in order, each with its view_version and `ord`, its position in the
 * whole result from 1 (the window uses the query's own order, so PostgreSQL sorts once).
 */
export function runPageSql(q: RunQuery, offset: number, limit: number): Prisma.Sql {
  const p = plan(q, true);
  const joins = p.joins.length ? joinAll(p.joins, " ") : Prisma.empty;
  const order = joinAll(p.order, ", ");
  return Prisma.sql`SELECT r.pk, r.view_version, row_number() OVER (ORDER BY ${order}) AS ord FROM run r ${joins} WHERE ${joinAll(p.where, " AND ")} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
}

export function runCountSql(q: RunQuery): Prisma.Sql {
  const p = plan(q, false);
  return Prisma.sql`SELECT count(*)::int AS n FROM run r WHERE ${joinAll(p.where, " AND ")}`;
}
